package io.inlet.console;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The console at {@code /console}: plain HTML, CSS and JavaScript modules (src/main/resources/console/, packed into
 * the jar) that run in the browser against the API with the tenant's key; nothing is built and nothing is fetched
 * from elsewhere. Served by Vert.x's static file handler on the API port, each page with a Content-Security-Policy
 * that lets it load only the console's own files and connect only to the API and to where upload URLs point.
 */
public final class ConsolePages {

    public static final String PATH = "/console";
    private static final String FILES = "console";

    private ConsolePages() {
    }

    /** {@code uploadOrigin}: where the browser PUTs files (the S3 host of upload URLs). */
    public static void install(Router router, String uploadOrigin) {
        String policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' "
                + uploadOrigin + "; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
        // a route of PATH also takes PATH + "/", which is the console itself
        router.get(PATH).handler(ctx -> {
            if (ctx.request().path().equals(PATH)) {
                ctx.redirect(PATH + "/");
            } else {
                ctx.next();
            }
        });
        router.route(PATH + "/*").method(HttpMethod.GET).method(HttpMethod.HEAD)
                .handler(ctx -> {
                    HttpServerResponse response = ctx.response();
                    response.putHeader("Content-Security-Policy", policy);
                    response.putHeader("X-Content-Type-Options", "nosniff");
                    response.putHeader("X-Frame-Options", "DENY");
                    // no page's address (nor an upload URL) travels on as a Referer
                    response.putHeader("Referrer-Policy", "no-referrer");
                    // revalidated every time: a new version of the service never runs with the old pages
                    response.putHeader("Cache-Control", "no-cache");
                    ctx.next();
                })
                .handler(StaticHandler.create(FILES).setCachingEnabled(false).setIndexPage("index.html")
                        .setDefaultContentEncoding("UTF-8"));
    }
}
