package io.inlet.schema;

import java.util.regex.Pattern;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;

/**
 * The record schemas' {@code pattern}s on the JDK's engine, read as JSON Schema means them (ECMA-262) where the two
 * differ for these patterns: a final {@code $} is the end of the text (the JDK's also matched before a final line
 * break, so {@code "jane@acme.com\n"} passed for an email address), and {@code \s} is any Unicode space or line
 * break (the JDK's is ASCII only, so a no-break space or U+2028 passed inside a domain). The ECMA engines the
 * validator can use instead do not help: Joni's {@code $} also matches before a final line break, and GraalJS is a
 * JavaScript runtime.
 */
final class SchemaPatterns implements RegularExpressionFactory {

    @Override
    public RegularExpression getRegularExpression(String regex) {
        Pattern pattern = Pattern.compile(endOfText(regex), Pattern.UNICODE_CHARACTER_CLASS);
        return value -> pattern.matcher(value).find();
    }

    /** The pattern with a final, unescaped {@code $} as the JDK's end of text. */
    static String endOfText(String regex) {
        int backslashes = 0;
        for (int i = regex.length() - 2; i >= 0 && regex.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return regex.endsWith("$") && backslashes % 2 == 0 ? regex.substring(0, regex.length() - 1) + "\\z" : regex;
    }
}
