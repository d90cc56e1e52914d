package io.inlet.pipeline;

import java.util.List;

/** A processed batch: every output durable in the lake, the sources not yet archived. */
public record BatchOutcome(BatchManifest manifest, List<SourceResult> sources) {
}
