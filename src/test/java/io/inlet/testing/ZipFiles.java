package io.inlet.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Zip archives for tests, written by the JDK's {@link ZipOutputStream} as zip tools write them: deflated entries with
 * a data descriptor (sizes after the data, as when writing to a pipe), stored entries with their sizes up front,
 * folders.
 */
public final class ZipFiles {

    private ZipFiles() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A zip with one entry of {@code bytes} zeros, deflated as it is written: never held in memory. */
    public static Path zeros(Path file, String name, long bytes) {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry(name));
            byte[] zeros = new byte[1 << 20];
            for (long left = bytes; left > 0; left -= zeros.length) {
                zip.write(zeros, 0, (int) Math.min(zeros.length, left));
            }
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    public static final class Builder {

        private record Entry(String name, byte[] data, boolean stored) {
        }

        private final List<Entry> entries = new ArrayList<>();

        /** A deflated entry (with a data descriptor). */
        public Builder deflated(String name, String text) {
            return deflated(name, text.getBytes(StandardCharsets.UTF_8));
        }

        public Builder deflated(String name, byte[] data) {
            entries.add(new Entry(name, data, false));
            return this;
        }

        /** A stored (not compressed) entry, its sizes and CRC in its header. */
        public Builder stored(String name, byte[] data) {
            entries.add(new Entry(name, data, true));
            return this;
        }

        /** A folder's own entry ({@code name} ends with a slash). */
        public Builder folder(String name) {
            return stored(name, new byte[0]);
        }

        public byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writeTo(out);
            return out.toByteArray();
        }

        public Path writeTo(Path file) {
            try (OutputStream out = Files.newOutputStream(file)) {
                writeTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return file;
        }

        private void writeTo(OutputStream out) {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Entry entry : entries) {
                    ZipEntry zipEntry = new ZipEntry(entry.name());
                    if (entry.stored()) {
                        CRC32 crc = new CRC32();
                        crc.update(entry.data());
                        zipEntry.setMethod(ZipEntry.STORED);
                        zipEntry.setSize(entry.data().length);
                        zipEntry.setCompressedSize(entry.data().length);
                        zipEntry.setCrc(crc.getValue());
                    }
                    zip.putNextEntry(zipEntry);
                    zip.write(entry.data());
                    zip.closeEntry();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
