package io.inlet.schema;

import java.util.regex.Pattern;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;

/**
 * The record schemas' {@code pattern}s on the JDK's engine, read as JSON Schema means them (ECMA-262) where the two
 * differ for these patterns: a final {@code $} is the end of the text (the JDK's also matched before a final line
 * break, so {@code "jane@acme.com\n"} passed for an email address), and {@code \s} is ECMA's set of spaces and line
 * breaks (the JDK's is ASCII only, so a no-break space or U+2028 passed inside a domain). The ECMA engines the
 * validator can use instead do not help: Joni's {@code $} also matches before a final line break, and GraalJS is a
 * JavaScript runtime.
 */
final class SchemaPatterns implements RegularExpressionFactory {

    /** ECMA-262's WhiteSpace and LineTerminator characters, what its {@code \s} matches. */
    static final String ECMA_SPACES = "\\t\\n\\x{B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
            + "\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

    @Override
    public RegularExpression getRegularExpression(String regex) {
        Pattern pattern = Pattern.compile(ecma(regex));
        return value -> pattern.matcher(value).find();
    }

    /** The pattern with {@code \s} as ECMA's set, and a final, unescaped {@code $} as the JDK's end of text. */
    static String ecma(String regex) {
        StringBuilder out = new StringBuilder(regex.length() + 64);
        boolean inClass = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char next = regex.charAt(++i);
                if (next == 's') {
                    out.append(inClass ? ECMA_SPACES : "[" + ECMA_SPACES + "]");
                } else {
                    out.append(c).append(next);
                }
                continue;
            }
            if (c == '[') {
                inClass = true;
            } else if (c == ']') {
                inClass = false;
            } else if (c == '$' && !inClass && i == regex.length() - 1) {
                out.append("\\z");
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }
}
