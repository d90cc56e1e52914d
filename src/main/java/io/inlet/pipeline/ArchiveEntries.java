package io.inlet.pipeline;

import java.util.List;

import io.inlet.status.RefusedEntry;

/**
 * What became of a zip archive's entries: how many JSONL entries were read, how many entries were refused, and the
 * first of those with the reason. Folders and the metadata zip tools add ({@code __MACOSX/}, dot-files) are
 * neither: they are passed over.
 */
public record ArchiveEntries(long read, long refused, List<RefusedEntry> firstRefused) {
}
