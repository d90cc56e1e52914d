package io.inlet.sender;

/** A rejected line as both commands print it, in the status document's words: line, pointer, message. */
final class RejectionText {

    private RejectionText() {
    }

    /**
     * {@code line 3: /contact_id: is required but missing}; a problem of the whole line has no pointer; a line of a
     * zip archive's entry is {@code entry 'a.jsonl' line 3: …}.
     */
    static String of(String entry, long line, String pointer, String message) {
        return (entry == null || entry.isEmpty() ? "" : "entry '" + entry + "' ") + "line " + line + ": "
                + (pointer == null || pointer.isEmpty() ? "" : pointer + ": ") + message;
    }
}
