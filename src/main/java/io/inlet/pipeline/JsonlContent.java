package io.inlet.pipeline;

import java.io.InputStream;
import java.io.OutputStream;

import org.apache.camel.Exchange;
import org.apache.camel.spi.DataFormat;
import org.apache.camel.spi.DataFormatName;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.IOHelper;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The data format of inbox files: JSONL, gzipped or not, or a zip archive of such files, unmarshalled as a stream
 * into {@link LineChunks}. gzip is recognised by its magic bytes (1f 8b), whatever the file's name, and inflated as
 * it is read, every member of a multi-member file; a zip archive (PK) is read entry by entry ({@link ZipEntries}); a
 * file that inflates more than the batch's expansion ratio is refused as a bomb, and one that is neither gzip, zip
 * nor text is refused at once. Camel's own gzip data format inflates the
 * whole body in memory, which a 2 GB file cannot afford.
 *
 * <p>The result is an iterator, so Camel leaves the S3 stream open for the split; closing the iterator aborts
 * the transfer (closing an S3 stream would drain the rest of a 2 GB object first).
 *
 * <p>Limits come from the batch's manifest through exchange properties, so that a rerun cuts the file the same
 * way the first run did even when the settings changed in between.
 */
public final class JsonlContent extends ServiceSupport implements DataFormat, DataFormatName {

    /** The batch's {@link BatchManifest.Cut}. */
    static final String CUT = "inletCut";
    /** Where the unmarshalled {@link LineChunks} are also left, for the steps that report progress and finish. */
    static final String CHUNKS = "inletChunks";

    @Override
    public String getDataFormatName() {
        return "inlet-jsonl";
    }

    @Override
    public Object unmarshal(Exchange exchange, Object body) throws Exception {
        BatchManifest.Cut cut = exchange.getProperty(CUT, BatchManifest.Cut.class);
        SourceStream source;
        if (body instanceof byte[] stored) {
            source = SourceStream.of(stored, cut.maxExpansionRatio(), cut.maxZipEntries());
        } else if (body instanceof ResumingObject object) {
            source = SourceStream.of(object, object::abort, object.length(), cut.maxExpansionRatio(), cut.maxZipEntries());
        } else if (body instanceof ResponseInputStream<?> object) {
            Long length = object.response() instanceof GetObjectResponse r ? r.contentLength() : null;
            source = SourceStream.of(object, object::abort, length == null ? -1 : length, cut.maxExpansionRatio(),
                    cut.maxZipEntries());
        } else {
            InputStream stream = exchange.getContext().getTypeConverter().mandatoryConvertTo(InputStream.class, exchange, body);
            source = SourceStream.of(stream, () -> IOHelper.close(stream), -1, cut.maxExpansionRatio(), cut.maxZipEntries());
        }
        LineChunks chunks = new LineChunks(source, cut.maxLineBytes(), cut.rejectedRawBytes());
        exchange.setProperty(CHUNKS, chunks);
        return chunks;
    }

    @Override
    public Object unmarshal(Exchange exchange, InputStream stream) throws Exception {
        return unmarshal(exchange, (Object) stream);
    }

    @Override
    public void marshal(Exchange exchange, Object graph, OutputStream stream) {
        throw new UnsupportedOperationException("Inlet only reads JSONL files with this data format");
    }

    @Override
    protected void doStart() {
        // stateless
    }

    @Override
    protected void doStop() {
        // stateless
    }
}
