package io.inlet.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;

/** Clients that are slow on purpose, to check that servers let go of them. */
public final class SlowClients {

    private SlowClients() {
    }

    /** A PUT to the URL whose head is sent and whose 1,000,000-byte body is still to come. */
    public static Socket startPut(URI url) throws IOException {
        Socket socket = new Socket(url.getHost(), url.getPort());
        socket.getOutputStream().write(("PUT " + url.getRawPath() + "?" + url.getRawQuery() + " HTTP/1.1\r\nHost: "
                + url.getAuthority() + "\r\nContent-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /**
     * A header-signed SigV4 PUT (payload signed: its SHA-256 in {@code x-amz-content-sha256}, as the AWS CLI sends
     * over plain HTTP) of {@code length} zero bytes to the URL, signed with {@code credentials} by the SDK's signer,
     * whose head is sent and whose body is still to come. A forged one: the same head with another signature.
     */
    public static Socket startSignedPut(URI url, AwsCredentials credentials, String region, long length, boolean forged)
            throws IOException {
        SdkHttpRequest.Builder request = SdkHttpRequest.builder().method(SdkHttpMethod.PUT).uri(url)
                .putHeader("Content-Length", String.valueOf(length));
        SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(credentials)
                .request(request.build())
                .payload(() -> new InputStream() {
                    long left = length;

                    @Override
                    public int read() {
                        return left-- > 0 ? 0 : -1;
                    }

                    @Override
                    public int read(byte[] into, int offset, int count) {
                        if (left <= 0) {
                            return -1;
                        }
                        int n = (int) Math.min(count, left);
                        java.util.Arrays.fill(into, offset, offset + n, (byte) 0);
                        left -= n;
                        return n;
                    }
                })
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, true))
                .request();
        StringBuilder head = new StringBuilder("PUT " + url.getRawPath() + " HTTP/1.1\r\n");
        signed.headers().forEach((name, values) -> values.forEach(value -> head.append(name).append(": ")
                .append(forged && name.equalsIgnoreCase("Authorization")
                        ? value.replaceFirst("Signature=[0-9a-f]+", "Signature=" + "0".repeat(64)) : value)
                .append("\r\n")));
        Socket socket = new Socket(url.getHost(), url.getPort());
        socket.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** What the server answered on the connection within 5 s (it may keep the connection open after the answer). */
    public static String answer(Socket socket) throws IOException {
        socket.setSoTimeout(5000);
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        byte[] buffer = new byte[512];
        try {
            for (int n; (n = socket.getInputStream().read(buffer)) > 0 && read.size() < 4096; ) {
                read.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException noMore) {
            // all there is
        }
        return read.toString(StandardCharsets.UTF_8);
    }

    /**
     * Sends a request head one byte every half second, never completing it, until the server closes the
     * connection; returns how long that took, or null if it was still open after {@code giveUp}.
     */
    public static Duration trickleHeadUntilClosed(String host, int port, Duration giveUp) throws IOException {
        return trickleUntilClosed(host, port, "POST /ingestion/upload-json HTTP/1.1\r\nHost: ", giveUp);
    }

    /**
     * Sends {@code start} at once, then one byte every half second (whatever the server answers meanwhile is read
     * and ignored), until the server closes the connection; returns how long that took after {@code start}, or null
     * if it was still open after {@code giveUp}.
     */
    public static Duration trickleUntilClosed(String host, int port, String start, Duration giveUp) throws IOException {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write(start.getBytes(StandardCharsets.US_ASCII));
            long started = System.nanoTime();
            while (System.nanoTime() - started < giveUp.toNanos()) {
                try {
                    out.write('a');
                    out.flush();
                    if (socket.getInputStream().read(new byte[8192]) == -1) {
                        return Duration.ofNanos(System.nanoTime() - started);
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // nothing from the server yet
                } catch (IOException reset) {
                    return Duration.ofNanos(System.nanoTime() - started);
                }
            }
            return null;
        }
    }
}
