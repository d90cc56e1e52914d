package io.inlet.testing;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of {@code GET /observe/metrics} (Prometheus text format 0.0.4), read sample by sample. */
public final class Scrape {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final List<Sample> samples = new ArrayList<>();

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public static Scrape of(InletApp app) {
        var response = app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/observe/metrics"))
                .header("Authorization", "Bearer " + InletApp.SCRAPE_TOKEN).GET().build());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /observe/metrics answered " + response.statusCode() + ": " + response.body());
        }
        return parse(response.body());
    }

    static Scrape parse(String text) {
        Scrape scrape = new Scrape();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line.trim());
            if (!m.matches()) {
                throw new AssertionError("Not a Prometheus sample: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher label = LABEL.matcher(m.group(3));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            scrape.samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        return scrape;
    }

    /** The sum of the samples of this name whose labels include these (0 when there is none). */
    public double value(String name, String... labels) {
        return matching(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    public boolean has(String name, String... labels) {
        return !matching(name, labels).isEmpty();
    }

    public List<Sample> matching(String name, String... labels) {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(wanted.entrySet()))
                .toList();
    }
}
