package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;
import org.junit.jupiter.api.Test;

/**
 * Which final statuses a run of a batch finds already written by a run of the same batch (it then writes no
 * "processing" over them: a run that committed and stalled before deleting its manifest would otherwise leave the
 * new run's "processing" standing for good when its late delete ends that run).
 */
class BatchRunTest {

    private static final Instant PLANNED = Instant.parse("2026-11-29T12:00:00Z");
    private static final BatchManifest MANIFEST = new BatchManifest("20261129T120000000Z-abc", PLANNED.toString(), "i-1",
            List.of(new BatchManifest.Source("k", 1)), null, 0, null, null, null);

    @Test
    void aFinalStatusWithThisBatchsPartsIsSettledByIt() {
        assertThat(BatchRun.settledBy(status(UploadState.COMPLETED, PLANNED.plusSeconds(5),
                "contact/tenant=t/dt=2026-11-29/part-20261129T120000000Z-abc-00001.jsonl.gz"), MANIFEST)).isTrue();
        assertThat(BatchRun.settledBy(status(UploadState.COMPLETED_WITH_ERRORS, PLANNED.plusSeconds(5),
                "contact/tenant=t/dt=2026-11-29/part-20261129T120000000Z-abc-w1-00002.jsonl.gz"), MANIFEST)).isTrue();
    }

    @Test
    void aFinalStatusOfAnEarlierBatchIsNot() {
        // a file copied back into the inbox to be processed again
        assertThat(BatchRun.settledBy(status(UploadState.COMPLETED, PLANNED.plusSeconds(5),
                "contact/tenant=t/dt=2026-11-28/part-20261128T090000000Z-def-00001.jsonl.gz"), MANIFEST)).isFalse();
        assertThat(BatchRun.settledBy(status(UploadState.FAILED, PLANNED.minusSeconds(60)), MANIFEST)).isFalse();
    }

    @Test
    void aFinalStatusWithoutPartsCountsFromWhenTheBatchWasPlanned() {
        assertThat(BatchRun.settledBy(status(UploadState.FAILED, PLANNED.plusSeconds(1)), MANIFEST)).isTrue();
        assertThat(BatchRun.settledBy(status(UploadState.COMPLETED_WITH_ERRORS, PLANNED), MANIFEST)).isTrue();
    }

    @Test
    void aStatusThatIsNotFinalIsNot() {
        assertThat(BatchRun.settledBy(status(UploadState.PROCESSING, PLANNED.plusSeconds(5)), MANIFEST)).isFalse();
        assertThat(BatchRun.settledBy(status(UploadState.QUEUED, null), MANIFEST)).isFalse();
    }

    private static UploadStatus status(UploadState state, Instant finished, String... lakeKeys) {
        UploadStatus status = UploadStatus.of("k", "t", "contact", state);
        status.finishedAt = finished == null ? null : finished.toString();
        status.lakeKeys = lakeKeys.length == 0 ? null : List.of(lakeKeys);
        return status;
    }
}
