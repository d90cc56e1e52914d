package io.inlet.limits;

import java.util.Map;

import io.inlet.testing.InletApp;

/**
 * One service with small limits for the tests of this package: every tenant 1 request a second (3 at once); "bulky"
 * many requests but 1,000 bytes a second (4,000 at once); "heavy" many requests. Uploads are refused once more than
 * 20 files wait, checked every 0.2 s.
 */
final class LimitedApp {

    private static InletApp app;

    private LimitedApp() {
    }

    static synchronized InletApp get() {
        if (app == null) {
            app = InletApp.start(Map.ofEntries(
                    Map.entry("inlet.limits.requests-per-second", "1"),
                    Map.entry("inlet.limits.requests-burst", "3"),
                    Map.entry("inlet.limits.tenant.bulky.requests-per-second", "1000"),
                    Map.entry("inlet.limits.tenant.bulky.requests-burst", "1000"),
                    Map.entry("inlet.limits.tenant.bulky.bytes-per-second", "1000"),
                    Map.entry("inlet.limits.tenant.bulky.bytes-burst", "4000"),
                    Map.entry("inlet.limits.tenant.heavy.requests-per-second", "1000"),
                    Map.entry("inlet.limits.tenant.heavy.requests-burst", "1000"),
                    Map.entry("inlet.overload.max-backlog-files", "20"),
                    Map.entry("inlet.overload.check-interval", "PT0.2S"),
                    // OverloadTest holds a backlog by stopping the queue consumer's route, which Camel's route and
                    // consumer health checks report (DOWN) in their own right; the tests look at the backlog's report.
                    Map.entry("camel.health.routes-enabled", "false"),
                    Map.entry("camel.health.consumers-enabled", "false")));
            Runtime.getRuntime().addShutdownHook(new Thread(app::close));
        }
        return app;
    }
}
