package io.inlet.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;

import io.inlet.testing.InletApp;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The embedded queue's port: taken by someone else, it fails cleanly (explicit port) or probes another (port 0). */
class EmbeddedQueuePortTest {

    @Test
    void aTakenPortFailsTheStartWithItsSettingAndLeavesNoServerThreads() throws Exception {
        try (ServerSocket taken = new ServerSocket(InletApp.freePort(), 1, InetAddress.getLoopbackAddress())) {
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            EmbeddedQueue queue = new EmbeddedQueue("127.0.0.1", taken.getLocalPort());
            assertThatThrownBy(queue::start)
                    .hasMessageContaining("port " + taken.getLocalPort() + " on 127.0.0.1 is in use (inlet.queue.embedded.port)");
            // a failed start that left the queue's threads running would keep the JVM from exiting
            assertThat(queueThreadsLeft(before)).isEmpty();
        }
    }

    @Test
    void withPortZeroAProbedPortTakenMeanwhileIsReplacedByAnother() throws Exception {
        try (ServerSocket taken = new ServerSocket(InletApp.freePort(), 1, InetAddress.getLoopbackAddress())) {
            int free = InletApp.freePort();
            ArrayDeque<Integer> probes = new ArrayDeque<>(List.of(taken.getLocalPort(), free));
            EmbeddedQueue queue = new EmbeddedQueue("127.0.0.1", 0, probes::poll);
            queue.start();
            try {
                assertThat(queue.endpoint()).isEqualTo(URI.create("http://127.0.0.1:" + free));
                try (SqsClient sqs = SqsClient.builder().region(Region.US_EAST_1).endpointOverride(queue.endpoint())
                        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                        .build()) {
                    assertThat(sqs.createQueue(b -> b.queueName("probed")).queueUrl()).contains(":" + free + "/");
                }
            } finally {
                queue.stop();
            }
        }
    }

    /** Queue threads started since {@code before} and still alive, after waiting up to 10 s for them to end. */
    private static List<String> queueThreadsLeft(Set<Thread> before) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<String> alive;
        do {
            alive = Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !before.contains(t))
                    .map(Thread::getName).filter(name -> name.startsWith("elasticmq")).toList();
            if (alive.isEmpty()) {
                break;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return alive;
    }
}
