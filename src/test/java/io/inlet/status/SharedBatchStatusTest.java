package io.inlet.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.inlet.api.ApiError;
import org.junit.jupiter.api.Test;

/** A batch's status cut from its shared inbox object's status: its own lines, bytes, counts and rejections. */
class SharedBatchStatusTest {

    private static final String OBJECT = "data/tenants/objects/contact_event/source_system=dataapi/tenant=t/dt=2026-11-27-07-00/"
            + "0b5c2f0e-1111-4222-8333-944455556666.jsonl";

    @Test
    void eachBatchGetsItsOwnCountsBytesAndRejectionsRenumberedFromItsFirstLine() {
        UploadStatus object = UploadStatus.of(OBJECT, "t", "contact_event", UploadState.COMPLETED_WITH_ERRORS);
        object.bytesTotal = 600L;
        object.bytesRead = 600L;
        object.recordsAccepted = 7L;
        object.recordsRejected = 2L;
        object.rejectedKey = "_rejected/x";
        object.lakeKeys = List.of("contact_event/tenant=t/dt=2025-03-01/part-b-00000.jsonl.gz");
        object.firstRejections = List.of(ApiError.atLine(2, "/email", "is required"), ApiError.atLine(6, "/x", "bad"),
                ApiError.atLine(6, "/y", "bad too"));
        object.batches = List.of(new UploadStatus.SharedBatch(3, 200, 1), new UploadStatus.SharedBatch(2, 100, 0),
                new UploadStatus.SharedBatch(4, 300, 1));

        UploadStatus first = object.ofBatch("k.1", 1).orElseThrow();
        assertThat(first.fileKey).isEqualTo("k.1");
        assertThat(first.state).isEqualTo(UploadState.COMPLETED_WITH_ERRORS);
        assertThat(first.recordsAccepted).isEqualTo(2);
        assertThat(first.recordsRejected).isEqualTo(1);
        assertThat(first.bytesTotal).isEqualTo(200);
        assertThat(first.bytesRead).isEqualTo(200);
        assertThat(first.firstRejections).extracting(ApiError::line).containsExactly(2L);
        assertThat(first.rejectedKey).isEqualTo("_rejected/x");
        assertThat(first.batches).isNull();

        UploadStatus second = object.ofBatch("k.2", 2).orElseThrow();
        assertThat(second.state).isEqualTo(UploadState.COMPLETED);
        assertThat(second.recordsAccepted).isEqualTo(2);
        assertThat(second.recordsRejected).isZero();
        assertThat(second.firstRejections).isEmpty();
        assertThat(second.rejectedKey).isNull();
        assertThat(second.lakeKeys).isEqualTo(object.lakeKeys);

        UploadStatus third = object.ofBatch("k.3", 3).orElseThrow();
        assertThat(third.recordsAccepted).isEqualTo(3);
        assertThat(third.recordsRejected).isEqualTo(1);
        assertThat(third.bytesTotal).isEqualTo(300);
        // line 6 of the object is the first line of the third batch (lines 6-9)
        assertThat(third.firstRejections).extracting(ApiError::line).containsExactly(1L, 1L);
        assertThat(third.firstRejections).extracting(ApiError::pointer).containsExactly("/x", "/y");

        assertThat(object.ofBatch("k.4", 4)).isEmpty();
        assertThat(object.ofBatch("k.0", 0)).isEmpty();
        assertThat(object.answered().batches).isNull();
        assertThat(object.batches).hasSize(3);
    }

    @Test
    void aFailedObjectFailsEveryBatchAndAProcessingOneCountsNothingYet() {
        UploadStatus failed = UploadStatus.of(OBJECT, "t", "contact_event", UploadState.FAILED);
        failed.failureReason = "could not be processed";
        failed.recordsAccepted = 0L;
        failed.recordsRejected = 0L;
        failed.batches = List.of(new UploadStatus.SharedBatch(3, 200, 0), new UploadStatus.SharedBatch(2, 100, 0));
        UploadStatus batch = failed.ofBatch("k.2", 2).orElseThrow();
        assertThat(batch.state).isEqualTo(UploadState.FAILED);
        assertThat(batch.failureReason).isEqualTo("could not be processed");
        assertThat(batch.recordsAccepted).isZero();

        UploadStatus processing = UploadStatus.of(OBJECT, "t", "contact_event", UploadState.PROCESSING);
        processing.bytesRead = 250L;
        processing.recordsAccepted = 4L;
        processing.recordsRejected = 0L;
        processing.batches = failed.batches;
        assertThat(processing.ofBatch("k.1", 1).orElseThrow().bytesRead).isEqualTo(200);
        assertThat(processing.ofBatch("k.2", 2).orElseThrow().bytesRead).isEqualTo(50);
        assertThat(processing.ofBatch("k.2", 2).orElseThrow().recordsAccepted).isZero();
    }
}
