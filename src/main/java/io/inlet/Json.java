package io.inlet;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** The one Jackson configuration: records must survive a read and a write unchanged. */
public final class Json {

    /** Levels a request body's envelope adds above its records: {@code {"data":[…]}}. */
    public static final int ENVELOPE_LEVELS = 2;

    private Json() {
    }

    public static ObjectMapper mapper() {
        return JsonMapper.builder()
                // 1e400 or 0.1000 must not turn into Infinity or 0.1 on the way to the lake.
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                // A record with two "email" fields means different things to different readers: refuse it.
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                // An emoji is written as its four UTF-8 bytes, as it came, not as two escapes of six bytes each
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }

    /**
     * The same configuration for request bodies, which may nest two levels deeper: a record sits in
     * {@code {"data":[…]}}, and must be taken at the same depth as on a JSONL line.
     */
    public static ObjectMapper requestMapper() {
        ObjectMapper mapper = mapper();
        StreamReadConstraints line = mapper.getFactory().streamReadConstraints();
        mapper.getFactory().setStreamReadConstraints(
                line.rebuild().maxNestingDepth(line.getMaxNestingDepth() + ENVELOPE_LEVELS).build());
        return mapper;
    }
}
