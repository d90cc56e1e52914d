package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.inlet.Json;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.queue.EmbeddedQueue;
import io.inlet.queue.InboxEvents;
import io.inlet.queue.InboxFile;
import io.inlet.queue.WorkQueue;
import io.inlet.testing.Await;
import io.inlet.testing.InletApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A backlog on the queue is not lost work: messages received and waiting for their batch are kept invisible (not
 * delivered again to be planned twice), and the inbox reconciliation takes as many unclaimed files as the queue
 * holds messages to have theirs, announcing only the rest (and files unclaimed too long). Against a real SQS server
 * (ElasticMQ) and S3.
 */
class QueueBacklogTest {

    private static final Duration VISIBILITY = Duration.ofSeconds(4);

    private EmbeddedQueue server;
    private SqsClient sqs;
    private String url;
    private WorkQueue queue;
    private S3Client s3;
    private String inbox;
    private String lake;

    @BeforeEach
    void start() {
        InletApp app = InletApp.shared();
        s3 = app.s3();
        inbox = "backlog-inbox-" + UUID.randomUUID().toString().substring(0, 8);
        lake = "backlog-lake-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(b -> b.bucket(inbox));
        s3.createBucket(b -> b.bucket(lake));
        server = new EmbeddedQueue("127.0.0.1", 0);
        server.start();
        sqs = WorkQueue.client(app.settings().queue(), server.endpoint());
        url = sqs.createQueue(b -> b.queueName("backlog").attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, String.valueOf(VISIBILITY.toSeconds())))).queueUrl();
        queue = new WorkQueue(sqs, url, new InboxEvents(Json.mapper(), inbox), false, VISIBILITY);
        queue.start();
    }

    @AfterEach
    void stop() {
        queue.stop();
        server.stop();
    }

    @Test
    void aHeldMessageStaysInvisibleUntilAcknowledgedOrLetGo() throws Exception {
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("first"));
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("second"));
        List<Message> received = receive(2);
        assertThat(received).hasSize(2);
        received.forEach(m -> queue.hold(m.receiptHandle()));

        // two visibility timeouts later, neither came back
        Thread.sleep(VISIBILITY.multipliedBy(2).toMillis());
        assertThat(receive(2)).isEmpty();
        assertThat(queue.depth().total()).isEqualTo(2);

        Message acknowledged = received.get(0);
        Message letGo = received.get(1);
        queue.acknowledge(List.of(acknowledged.receiptHandle()));
        queue.letGo(List.of(letGo.receiptHandle()));
        assertThat(queue.heldCount()).isZero();

        // the one let go is delivered again once its timeout runs out; the acknowledged one never
        List<Message> again = new ArrayList<>();
        Await.until("the message let go is delivered again", Duration.ofSeconds(10), () -> {
            again.addAll(receive(2));
            return !again.isEmpty();
        });
        assertThat(again).extracting(Message::body).containsExactly(letGo.body());
        assertThat(queue.depth().total()).isEqualTo(1);
    }

    @Test
    void theReconciliationLeavesABacklogOnTheQueueAloneAndAnnouncesFilesWhoseMessagesAreGone() {
        List<InboxFile> files = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            FileKey key = FileKey.create(Stream.CONTACT, "crm", "backlog", Instant.now(), UUID.randomUUID().toString(), false);
            s3.putObject(b -> b.bucket(inbox).key(key.key()), RequestBody.fromString("{}\n"));
            files.add(new InboxFile(key.key(), 3));
        }
        queue.send(files);
        InboxReconciliation reconciliation = reconciliation(Duration.ofHours(1));

        // every unclaimed file has its message waiting: a backlog, nothing to announce
        assertThat(reconciliation.reconcile()).isZero();
        assertThat(queue.depth().total()).isEqualTo(5);

        // three messages are taken and deleted, their files never processed (a consumer that lost them): the
        // queue holds two for five files, so three are announced
        List<Message> taken = new ArrayList<>();
        Await.until("three messages taken", Duration.ofSeconds(10), () -> {
            taken.addAll(receive(3 - taken.size()));
            return taken.size() == 3;
        });
        queue.acknowledge(taken.stream().map(Message::receiptHandle).toList());
        Await.until("two messages left", Duration.ofSeconds(10), () -> queue.depth().total() == 2);
        assertThat(reconciliation.reconcile()).isEqualTo(3);
        assertThat(queue.depth().total()).isEqualTo(5);
    }

    @Test
    void aFileUnclaimedLongerThanItsPatienceIsAnnouncedWhateverTheQueueHolds() {
        FileKey key = FileKey.create(Stream.CONTACT, "crm", "backlog", Instant.now(), UUID.randomUUID().toString(), false);
        s3.putObject(b -> b.bucket(inbox).key(key.key()), RequestBody.fromString("{}\n"));
        // duplicate messages for it (notifications and the service's own announcements both), or others' messages
        queue.send(List.of(new InboxFile(key.key(), 3), new InboxFile(key.key(), 3)));

        assertThat(reconciliation(Duration.ofHours(1)).reconcile()).isZero();
        assertThat(reconciliation(Duration.ZERO).reconcile()).isEqualTo(1);
        assertThat(queue.depth().total()).isEqualTo(3);
    }

    private InboxReconciliation reconciliation(Duration announceAfter) {
        return new InboxReconciliation(s3, inbox, new Claims(s3, lake, new Manifests(s3, lake, Json.mapper())), queue,
                Duration.ZERO, Duration.ofSeconds(30), announceAfter, Clock.systemUTC());
    }

    private List<Message> receive(int most) {
        return sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(most).waitTimeSeconds(0)).messages();
    }
}
