package io.inlet.tenant;

import java.util.regex.Pattern;

/** Tenant ids appear in S3 keys and folder names, so they are kept to a safe alphabet. */
public final class TenantId {

    public static final String PATTERN = "[A-Za-z0-9][A-Za-z0-9_-]{0,63}";
    private static final Pattern VALID = Pattern.compile(PATTERN);

    private TenantId() {
    }

    public static boolean isValid(String tenant) {
        return tenant != null && VALID.matcher(tenant).matches();
    }

    public static String require(String tenant) {
        if (!isValid(tenant)) {
            throw new IllegalArgumentException("Tenant id '" + tenant
                    + "' is not valid: use 1 to 64 letters, digits, '_' or '-', starting with a letter or digit");
        }
        return tenant;
    }
}
