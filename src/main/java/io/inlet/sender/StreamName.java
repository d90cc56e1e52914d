package io.inlet.sender;

import io.inlet.schema.Stream;
import picocli.CommandLine;

/** {@code --stream account}: one of the four streams by its wire name, or a usage error naming them. */
final class StreamName implements CommandLine.ITypeConverter<Stream> {

    @Override
    public Stream convert(String name) {
        return Stream.fromWireName(name).orElseThrow(() -> new CommandLine.TypeConversionException(
                "'" + name + "' is not a stream; the streams are " + Stream.wireNames()));
    }
}
