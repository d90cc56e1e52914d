# Runtime image for Inlet. Build the jar first (mvn -B package -DskipTests), then:
#   docker build -t inlet .
#   docker run -p 8080:8080 -p 9000:9000 -v inlet-data:/var/lib/inlet/data -v "$PWD/dropfolder:/var/lib/inlet/dropfolder" inlet
# No tenant is created at a first start (INLET_KEYS_DEV_TENANT=false below): a container's output is its log, and
# keys never go there. Create one in the running container: docker exec <container> java -jar /opt/inlet/inlet.jar
# keys create --tenant acme (exec output is not the container's log).
FROM eclipse-temurin:17-jre

# curl only for the health check below.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/inlet --shell /usr/sbin/nologin inlet \
 && mkdir -p /var/lib/inlet/data /var/lib/inlet/dropfolder \
 && chown -R inlet:inlet /var/lib/inlet

COPY target/lib/ /opt/inlet/lib/
COPY target/inlet.jar /opt/inlet/inlet.jar

# Settings are environment variables named after the keys in config/application.properties.
# The embedded S3 listens on all interfaces so that presigned URLs (http://localhost:9000/...) work through -p 9000:9000.
ENV INLET_DATA_DIR=/var/lib/inlet/data \
    INLET_DROPFOLDER_DIR=/var/lib/inlet/dropfolder \
    INLET_S3_EMBEDDED_HOST=0.0.0.0 \
    INLET_KEYS_DEV_TENANT=false \
    JAVA_OPTS="-Xmx512m -XX:+ExitOnOutOfMemoryError"

VOLUME ["/var/lib/inlet/data", "/var/lib/inlet/dropfolder"]
EXPOSE 8080 9000
WORKDIR /var/lib/inlet
USER inlet

HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=3 \
  CMD curl -fsS http://localhost:8080/observe/health || exit 1

ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /opt/inlet/inlet.jar \"$@\"", "inlet"]
