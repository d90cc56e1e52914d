package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import io.inlet.testing.SettableClock;
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
 * holds messages to have theirs, announcing only the rest (and files unclaimed too long, not again until twice as long),
 * a bounded number a pass. Against a real SQS server (ElasticMQ) and S3.
 */
class QueueBacklogTest {

    private static final Duration VISIBILITY = Duration.ofSeconds(4);

    private EmbeddedQueue server;
    private SqsClient sqs;
    private String url;
    private InboxEvents events;
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
        events = new InboxEvents(Json.mapper(), inbox);
        queue = new WorkQueue(sqs, url, events, false, VISIBILITY);
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

    /**
     * Another system may write any key into the inbox, and some (U+0001, U+FFFF) cannot be carried by a listing's XML:
     * they once failed every pass, so a file whose message was lost was never announced.
     */
    @Test
    void aKeyXmlCannotCarryDoesNotStopTheReconciliation() {
        s3.putObject(b -> b.bucket(inbox).key("data/tenants/objects/contact/bad\u0001name.jsonl"),
                RequestBody.fromString("{}\n"));
        s3.putObject(b -> b.bucket(inbox).key("zz/weird\uFFFFkey.txt"), RequestBody.fromString("{}\n"));
        String key = putFile();

        assertThat(reconciliation(Duration.ofHours(1)).reconcile()).as("the file no message announced").isEqualTo(1);
        List<Message> announced = receive(10);
        assertThat(announced).hasSize(1);
        assertThat(announced.get(0).body()).contains(key.substring(key.lastIndexOf('/') + 1));
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

    @Test
    void aPassAnnouncesAtMostItsShareAndTheNextPassesTheOthersEachOnce() {
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            keys.add(putFile());
        }
        // two a pass: what a pass keeps, however many files the inbox holds
        InboxReconciliation reconciliation = reconciliation(Duration.ofHours(1), 2, Clock.systemUTC());
        assertThat(reconciliation.reconcile()).isEqualTo(2);
        // the queue holds two messages for five files: three are missing, and the two announced have theirs
        assertThat(reconciliation.reconcile()).isEqualTo(2);
        assertThat(reconciliation.reconcile()).isEqualTo(1);
        assertThat(reconciliation.reconcile()).isZero();

        List<String> announced = new ArrayList<>();
        Await.until("five messages received", Duration.ofSeconds(10), () -> {
            receive(10).forEach(m -> events.read(m.body()).forEach(f -> announced.add(f.key())));
            return announced.size() >= 5;
        });
        assertThat(announced).containsExactlyInAnyOrderElementsOf(keys);
    }

    @Test
    void aFileAnnouncedForWaitingLongIsAnnouncedAgainOnlyAfterTwiceAsLong() {
        String key = putFile();
        // a deep backlog: its message (and another's) still on the queue after the hour it may wait
        queue.send(List.of(new InboxFile(key, 3), new InboxFile(key, 3)));
        Instant start = Instant.now().plus(Duration.ofHours(2));
        SettableClock clock = new SettableClock(start);
        InboxReconciliation reconciliation = reconciliation(Duration.ofHours(1), 100, clock);

        assertThat(reconciliation.reconcile()).as("unclaimed for two hours").isEqualTo(1);
        clock.set(start.plus(Duration.ofMinutes(59)));
        assertThat(reconciliation.reconcile()).as("announced 59 minutes ago").isZero();
        clock.set(start.plus(Duration.ofMinutes(61)));
        assertThat(reconciliation.reconcile()).as("unclaimed for an hour since").isEqualTo(1);
        clock.set(start.plus(Duration.ofMinutes(61 + 119)));
        assertThat(reconciliation.reconcile()).as("announced again 119 minutes ago").isZero();
        clock.set(start.plus(Duration.ofMinutes(61 + 121)));
        assertThat(reconciliation.reconcile()).as("unclaimed for two hours since").isEqualTo(1);
        assertThat(queue.depth().total()).isEqualTo(5);
    }

    @Test
    void whatItRemembersCountsForNothingOnceTheMessageIsGone() {
        String key = putFile();
        Instant start = Instant.now().plus(Duration.ofHours(2));
        SettableClock clock = new SettableClock(start);
        Claims claims = new Claims(s3, lake, new Manifests(s3, lake, Json.mapper()));
        InboxReconciliation reconciliation = new InboxReconciliation(s3, inbox, claims, queue, Duration.ZERO,
                Duration.ofSeconds(30), Duration.ofHours(1), 100, clock);
        assertThat(reconciliation.reconcile()).isEqualTo(1);

        // a batch took the message and died before sealing: its claim is freed after the grace, and the file announced
        // although announced five minutes ago
        assertThat(claims.claim(key, BatchManifest.newId(start))).isTrue();
        purgeQueue();
        clock.set(start.plus(Duration.ofMinutes(5)));
        assertThat(reconciliation.reconcile()).as("claim freed").isEqualTo(1);

        // the queue emptied (restarted, purged): the message announced five minutes ago is gone too
        purgeQueue();
        clock.set(start.plus(Duration.ofMinutes(10)));
        assertThat(reconciliation.reconcile()).as("queue emptied").isEqualTo(1);
        assertThat(queue.depth().total()).isEqualTo(1);
    }

    private void purgeQueue() {
        sqs.purgeQueue(b -> b.queueUrl(url));
        Await.until("the queue purged", Duration.ofSeconds(10), () -> queue.depth().total() == 0);
    }

    private String putFile() {
        FileKey key = FileKey.create(Stream.CONTACT, "crm", "backlog", Instant.now(), UUID.randomUUID().toString(), false);
        s3.putObject(b -> b.bucket(inbox).key(key.key()), RequestBody.fromString("{}\n"));
        return key.key();
    }

    private InboxReconciliation reconciliation(Duration announceAfter) {
        return reconciliation(announceAfter, 100, Clock.systemUTC());
    }

    private InboxReconciliation reconciliation(Duration announceAfter, int mostPerPass, Clock clock) {
        return new InboxReconciliation(s3, inbox, new Claims(s3, lake, new Manifests(s3, lake, Json.mapper())), queue,
                Duration.ZERO, Duration.ofSeconds(30), announceAfter, mostPerPass, clock);
    }

    private List<Message> receive(int most) {
        return sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(most).waitTimeSeconds(0)).messages();
    }
}
