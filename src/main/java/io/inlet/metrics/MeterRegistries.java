package io.inlet.metrics;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;

/**
 * The one Prometheus registry of the service, which {@code GET /observe/metrics} (camel-micrometer-prometheus)
 * scrapes: Camel's route and JVM meters, the API server's HTTP meters (Vert.x) and Inlet's own all go into it.
 */
public final class MeterRegistries {

    /** Latency buckets (seconds) of the HTTP and S3 histograms: a millisecond call to a minute-long one. */
    static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    static final String HTTP_LATENCY = "vertx.http.server.response.time";
    /** Vert.x labels left out of its HTTP meters: a series per URL, per client or per port is not wanted. */
    private static final Set<String> UNBOUNDED_HTTP_LABELS = Set.of(Label.HTTP_PATH.toString(),
            Label.REMOTE.toString(), Label.LOCAL.toString());
    private static final String HTTP_ROUTE = Label.HTTP_ROUTE.toString();
    private static final String HTTP_METHOD = Label.HTTP_METHOD.toString();
    /**
     * The methods that keep their own series: the server takes any token as a method, and a series per made-up
     * method, before any API key is asked for, would let anyone grow the registry without end.
     */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");

    private MeterRegistries() {
    }

    /**
     * A new registry, its filters in place before any meter is registered (Micrometer applies filters only to
     * meters registered after them). Bound under Camel's name before Camel starts, so Camel's meters go into it.
     */
    public static PrometheusMeterRegistry create() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config()
                // Vert.x's "active" gauges: it never ends a request whose body the 1 MiB limit cut off (413, the
                // connection closed), which would stay active for good; and connections are counted per client
                // address, which the filter below drops, and Micrometer warns about each such merged gauge.
                .meterFilter(MeterFilter.denyNameStartsWith("vertx.http.server.active."))
                .meterFilter(boundedHttpLabels())
                .meterFilter(histogramOf(HTTP_LATENCY))
                .meterFilter(histogramOf(S3CallTimer.NAME));
        return registry;
    }

    public static String bindingName() {
        return MicrometerConstants.METRICS_REGISTRY_NAME;
    }

    /** The registry bound by {@link io.inlet.Inlet#newMain()}; a new one if none was. */
    public static PrometheusMeterRegistry of(CamelContext context) {
        PrometheusMeterRegistry registry = context.getRegistry().lookupByNameAndType(bindingName(), PrometheusMeterRegistry.class);
        if (registry == null) {
            registry = create();
            context.getRegistry().bind(bindingName(), registry);
        }
        return registry;
    }

    /**
     * The Vert.x instance of the API server, timing each request by route, method and status code. Every Vert.x
     * label is turned on here (Vert.x would otherwise strip the others from every meter of the registry, Camel's
     * included), and the unbounded ones are dropped from the HTTP meters alone by this registry's filter.
     */
    public static Vertx instrumentedVertx(PrometheusMeterRegistry registry, int workerThreads) {
        MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
                .setEnabled(true)
                // Vert.x keeps its backends by this name, JVM-wide: one per service started in this JVM (tests).
                .setRegistryName("inlet-" + UUID.randomUUID())
                .setLabels(EnumSet.allOf(Label.class));
        for (MetricsDomain domain : MetricsDomain.values()) {
            if (domain != MetricsDomain.HTTP_SERVER) {
                metrics.addDisabledMetricsCategory(domain);
            }
        }
        return Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(metrics).setWorkerPoolSize(workerThreads))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
    }

    /**
     * Vert.x HTTP meters without path, client and port, and with the route that answered: Vert.x names the
     * routes a request went through ("/>/ingestion/upload-json", "/" being Camel's mount point), and
     * {@code unmatched} when no endpoint took it (404). A method outside the usual ones is {@code other}.
     */
    private static MeterFilter boundedHttpLabels() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (!id.getName().startsWith(MetricsDomain.HTTP_SERVER.getPrefix())) {
                    return id;
                }
                List<Tag> tags = new ArrayList<>();
                for (Tag tag : id.getTagsAsIterable()) {
                    if (tag.getKey().equals(HTTP_ROUTE)) {
                        tags.add(Tag.of(HTTP_ROUTE, endpointOf(tag.getValue())));
                    } else if (tag.getKey().equals(HTTP_METHOD)) {
                        tags.add(Tag.of(HTTP_METHOD, KNOWN_METHODS.contains(tag.getValue()) ? tag.getValue() : "other"));
                    } else if (!UNBOUNDED_HTTP_LABELS.contains(tag.getKey())) {
                        tags.add(tag);
                    }
                }
                return id.replaceTags(tags);
            }
        };
    }

    static String endpointOf(String routes) {
        for (String route : routes.split(">")) {
            if (!route.isEmpty() && !route.equals("/")) {
                return route;
            }
        }
        return "unmatched";
    }

    private static MeterFilter histogramOf(String name) {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().equals(name)) {
                    return config;
                }
                // a timer's buckets are given in nanoseconds
                double[] nanos = new double[LATENCY_BUCKETS.length];
                for (int i = 0; i < nanos.length; i++) {
                    nanos[i] = LATENCY_BUCKETS[i] * 1e9;
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
            }
        };
    }
}
