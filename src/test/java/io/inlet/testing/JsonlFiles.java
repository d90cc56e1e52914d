package io.inlet.testing;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Test files of contact events: which ids are valid and which lines are not is known in advance. */
public final class JsonlFiles {

    private JsonlFiles() {
    }

    /** A generated file and what the lake and the rejected-records file must end up holding. */
    public record Generated(Path path, List<String> validIds, List<Long> invalidLines) {
    }

    /** The valid ids of all the files, sorted (as {@code Lake.sortedValues} gives what the lake holds). */
    public static List<String> sortedValidIds(Generated... files) {
        List<String> ids = new ArrayList<>();
        for (Generated file : files) {
            ids.addAll(file.validIds());
        }
        return ids.stream().sorted().toList();
    }

    /**
     * {@code records} contact events over three days; every {@code invalidEvery}-th line (0 = none) lacks
     * its contact_id. Events get ids {@code prefix-N}.
     */
    public static Generated contactEvents(Path dir, String prefix, int records, int invalidEvery, boolean gzip)
            throws IOException {
        Path path = dir.resolve(prefix + (gzip ? ".jsonl.gz" : ".jsonl"));
        List<String> valid = new ArrayList<>();
        List<Long> invalid = new ArrayList<>();
        try (OutputStream file = Files.newOutputStream(path);
                OutputStream out = gzip ? new GZIPOutputStream(file, 65536) : file;
                BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 65536)) {
            for (int i = 1; i <= records; i++) {
                String id = prefix + "-" + i;
                boolean bad = invalidEvery > 0 && i % invalidEvery == 0;
                writer.write("{\"event_id\":\"" + id + "\","
                        + (bad ? "" : "\"contact_id\":\"c-" + (i % 1000) + "\",")
                        + "\"event\":\"page_view\",\"event_timestamp\":\"2025-06-0" + (1 + i % 3) + "T12:00:00Z\","
                        + "\"event_properties\":{\"path\":\"/pricing\",\"n\":" + i + "}}\n");
                if (bad) {
                    invalid.add((long) i);
                } else {
                    valid.add(id);
                }
            }
        }
        return new Generated(path, valid, invalid);
    }
}
