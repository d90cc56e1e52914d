package io.inlet.storage.embedded;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.shaded.org.eclipse.jetty.server.Handler;
import org.gaul.shaded.org.eclipse.jetty.server.Request;
import org.gaul.shaded.org.eclipse.jetty.server.Response;
import org.gaul.shaded.org.eclipse.jetty.server.Server;
import org.gaul.shaded.org.eclipse.jetty.util.Callback;

/**
 * Makes the S3Proxy listener behind the {@link UploadGateway} answer only requests the gateway forwards. That
 * listener accepts the credential upload URLs are signed with, and S3Proxy neither refuses unsigned {@code x-amz-*}
 * headers on a presigned URL (AWS does) nor applies the gateway's limits; on loopback, any local process could
 * otherwise send a tenant's upload URL straight to it with {@code x-amz-copy-source} naming another tenant's file.
 * The gateway puts a value that exists only in this process's memory in a header of its own on every request it
 * forwards (and drops whatever a client sent under that name); everything else gets 403 before S3Proxy sees it.
 */
final class GatewayOnly extends Handler.Wrapper {

    /** The header the gateway proves itself with. Not an {@code x-amz-} header, so S3Proxy ignores it. */
    static final String HEADER = "x-inlet-gateway";

    private final byte[] token;

    private GatewayOnly(Handler inner, byte[] token) {
        super(inner);
        this.token = token;
    }

    /** A fresh random token for one listener and its gateway. */
    static String newToken() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /**
     * Puts the check in front of an S3Proxy that has not started yet. S3Proxy has no option for it, so its Jetty
     * server is reached by reflection; a version of S3Proxy without that field fails here, at start, not silently.
     */
    static void guard(S3Proxy proxy, String token) {
        try {
            Field field = S3Proxy.class.getDeclaredField("server");
            field.setAccessible(true);
            Server server = (Server) field.get(proxy);
            server.setHandler(new GatewayOnly(server.getHandler(), token.getBytes(StandardCharsets.US_ASCII)));
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("Cannot guard the embedded S3's upload listener: S3Proxy changed", e);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String presented = request.getHeaders().get(HEADER);
        if (presented == null
                || !MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII))) {
            Response.writeError(request, response, callback, 403, "Use the embedded S3's public port");
            return true;
        }
        return super.handle(request, response, callback);
    }
}
