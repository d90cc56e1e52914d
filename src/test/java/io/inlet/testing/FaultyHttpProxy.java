package io.inlet.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * An HTTP proxy in front of a server on this machine (an S3) that passes requests through one by one, except those
 * a rule picks: their answer is lost (the request reaches the server and is carried out, then the client's connection
 * is reset: a write that succeeded although the client saw it fail), they are never forwarded (reset at once), or
 * they are held for a while before they go on (a request slow to arrive). Every request goes on a connection of its
 * own to the server, and every answer closes the client's connection.
 */
public final class FaultyHttpProxy implements AutoCloseable {

    /** What happens to a request. */
    public enum Fault {
        NONE,
        /** Carried out by the server; the client gets no answer. */
        LOSE_ANSWER,
        /** Never reaches the server; the client gets no answer. */
        LOSE_REQUEST,
        /** Reaches the server after {@link #delay}. */
        DELAY,
        /**
         * Never reaches the server; answered 409 ConditionalRequestConflict, as AWS S3 answers a conditional write
         * while another write of the key is under way.
         */
        CONFLICT
    }

    /** A request as the rule sees it: method, path (with its query) and header lines as sent. */
    public record Request(String method, String path, List<String> headerLines) {
        public boolean hasHeader(String name) {
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            return headerLines.stream().anyMatch(line -> line.toLowerCase(Locale.ROOT).startsWith(prefix));
        }
    }

    private final ServerSocket listener;
    private final int targetPort;
    private final Duration delay;
    private volatile Function<Request, Fault> rule = request -> Fault.NONE;

    public FaultyHttpProxy(int port, int targetPort, Duration delay) throws IOException {
        this.listener = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.delay = delay;
        Thread accepting = new Thread(this::accept, "faulty-proxy");
        accepting.setDaemon(true);
        accepting.start();
    }

    /** From now on, each request's fault is what the rule says (it is called once per request, in arrival order). */
    public void rule(Function<Request, Fault> rule) {
        this.rule = rule;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Thread serving = new Thread(() -> serve(client), "faulty-proxy-request");
                serving.setDaemon(true);
                serving.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            List<String> lines = new ArrayList<>(List.of(head.split("\r\n")));
            String[] requestLine = lines.get(0).split(" ");
            long length = 0;
            for (String line : lines.subList(1, lines.size())) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            byte[] body = in.readNBytes((int) length);
            Request request = new Request(requestLine[0], requestLine[1], List.copyOf(lines.subList(1, lines.size())));
            Fault fault = rule.apply(request);
            if (fault == Fault.LOSE_REQUEST) {
                DroppingProxy.reset(client);
                return;
            }
            if (fault == Fault.CONFLICT) {
                OutputStream out = client.getOutputStream();
                out.write(conflict());
                out.flush();
                return;
            }
            if (fault == Fault.DELAY) {
                Thread.sleep(delay.toMillis());
            }
            byte[] answer = forward(lines, body);
            if (fault == Fault.LOSE_ANSWER) {
                DroppingProxy.reset(client);
                return;
            }
            OutputStream out = client.getOutputStream();
            out.write(answer);
            out.flush();
        } catch (IOException | InterruptedException e) {
            // the client or the server went away: nothing to pass on
        }
    }

    /** Sends the request on a connection of its own, and returns the whole answer, told to close the connection. */
    private byte[] forward(List<String> lines, byte[] body) throws IOException {
        try (Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
            OutputStream out = server.getOutputStream();
            out.write(withConnectionClose(lines).getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = server.getInputStream();
            String head = readHead(in);
            if (head == null) {
                throw new IOException("the server closed the connection without answering");
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            answer.writeBytes(withConnectionClose(List.of(head.split("\r\n"))).getBytes(StandardCharsets.ISO_8859_1));
            in.transferTo(answer); // the server closes the connection after its answer
            return answer.toByteArray();
        }
    }

    private static byte[] conflict() {
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ConditionalRequestConflict</Code>"
                + "<Message>A conflicting operation occurred. If using PutObject you can retry the request.</Message>"
                + "</Error>").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 409 Conflict\r\nContent-Type: application/xml\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n";
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        answer.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        answer.writeBytes(body);
        return answer.toByteArray();
    }

    private static String withConnectionClose(List<String> lines) {
        StringBuilder head = new StringBuilder(lines.get(0)).append("\r\n");
        for (String line : lines.subList(1, lines.size())) {
            if (!line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                head.append(line).append("\r\n");
            }
        }
        return head.append("Connection: close\r\n\r\n").toString();
    }

    /** The head up to (not including) its empty line, or null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
            if (matched == 4) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.length() - 4);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
