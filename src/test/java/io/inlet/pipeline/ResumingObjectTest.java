package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Random;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A stored object whose transfer breaks off (S3 closes a connection read too slowly) is read on from where it stopped,
 * byte for byte, with ranged GETs of the same version; a version replaced meanwhile fails the read instead of mixing.
 */
class ResumingObjectTest {

    private static final String BUCKET = "resume";
    private static final String KEY = "big.bin";

    @TempDir
    Path dir;

    private S3Proxy server;
    private S3Client s3;
    private byte[] stored;

    @BeforeEach
    void start() throws Exception {
        int port = InletApp.freePort();
        server = TestS3.onDisk(dir, port, "resume-id", "resume-secret");
        s3 = InletProcess.s3Client(TestS3.settings(port, port, "resume-id", "resume-secret"));
        s3.createBucket(b -> b.bucket(BUCKET));
        stored = new byte[3 << 20];
        new Random(7).nextBytes(stored);
        s3.putObject(b -> b.bucket(BUCKET).key(KEY), RequestBody.fromBytes(stored));
    }

    @AfterEach
    void stop() throws Exception {
        s3.close();
        server.stop();
    }

    @Test
    void aTransferThatBreaksOffIsReadOnFromWhereItStopped() throws IOException {
        ResumingObject object = new ResumingObject(s3, BUCKET, KEY, breakingOff(700_000, true));
        assertThat(object.readAllBytes()).isEqualTo(stored);
        object.close();

        ResumingObject endsEarly = new ResumingObject(s3, BUCKET, KEY, breakingOff(1_000_000, false));
        assertThat(endsEarly.readAllBytes()).isEqualTo(stored);
    }

    /** Ending the read on purpose (the file is given up, or the service stops) is not a break to go on from. */
    @Test
    void anAbortedReadEndsForGood() throws IOException {
        ResumingObject object = new ResumingObject(s3, BUCKET, KEY, s3.getObject(b -> b.bucket(BUCKET).key(KEY)));
        assertThat(object.read(new byte[1000], 0, 1000)).isPositive();
        object.abort();
        assertThatThrownBy(object::readAllBytes).isInstanceOf(IOException.class);
    }

    @Test
    void anObjectReplacedMeanwhileFailsTheReadInsteadOfMixingVersions() throws IOException {
        ResumingObject object = new ResumingObject(s3, BUCKET, KEY, breakingOff(500_000, true));
        byte[] other = stored.clone();
        other[0] ^= 1;
        s3.putObject(b -> b.bucket(BUCKET).key(KEY), RequestBody.fromBytes(other));

        assertThatThrownBy(object::readAllBytes).isInstanceOf(IOException.class);
    }

    /** The object as S3 sends it, breaking off after {@code bytes}: with an error, or by ending early. */
    private ResponseInputStream<GetObjectResponse> breakingOff(int bytes, boolean withError) {
        ResponseInputStream<GetObjectResponse> real = s3.getObject(b -> b.bucket(BUCKET).key(KEY));
        InputStream cut = new FilterInputStream(real) {
            int left = bytes;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left == 0) {
                    if (withError) {
                        throw new IOException("Premature end of Content-Length delimited message body");
                    }
                    return -1;
                }
                int n = super.read(b, off, Math.min(len, left));
                left -= Math.max(n, 0);
                return n;
            }
        };
        return new ResponseInputStream<>(real.response(), AbortableInputStream.create(cut, real::abort));
    }
}
