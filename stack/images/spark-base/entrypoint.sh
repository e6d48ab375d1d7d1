#!/bin/bash
# Entry point of the Spark base stand-in, with the contract of the official
# image's /opt/entrypoint.sh that spark-submit on Kubernetes (and so the
# Spark operator) relies on:
#   driver ARGS...  spark-submit in client mode, bound to
#                   $SPARK_DRIVER_BIND_ADDRESS, with ARGS
#   executor        the Kubernetes executor backend, configured by the
#                   SPARK_EXECUTOR_* and SPARK_DRIVER_URL variables the driver sets
#   anything else   run as given
# Spark runs under tini, as user spark when the container starts as root; a
# UID without a passwd entry (OpenShift, runAsUser) gets one through nss_wrapper.
set -eo pipefail

give_uid_a_name() {
  if getent passwd "$(id -u)" >/dev/null; then return; fi
  local wrapper
  for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
    [ -s "$wrapper" ] || continue
    NSS_WRAPPER_PASSWD=$(mktemp)
    NSS_WRAPPER_GROUP=$(mktemp)
    printf 'spark:x:%s:%s:%s:%s:/bin/false\n' "$(id -u)" "$(id -g)" \
      "${SPARK_USER_NAME:-anonymous uid}" "$SPARK_HOME" >"$NSS_WRAPPER_PASSWD"
    printf 'spark:x:%s:\n' "$(id -g)" >"$NSS_WRAPPER_GROUP"
    export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    return
  done
}

: "${JAVA_HOME:=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"

classpath="$SPARK_HOME/jars/*"
[ -n "$SPARK_CLASSPATH" ] && classpath="$SPARK_CLASSPATH:$classpath"
[ -n "$SPARK_EXTRA_CLASSPATH" ] && classpath="$classpath:$SPARK_EXTRA_CLASSPATH"
[ -n "${HADOOP_CONF_DIR+x}" ] && classpath="$HADOOP_CONF_DIR:$classpath"
classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$classpath:$PWD"
if [ -n "$HADOOP_HOME" ] && [ -z "$SPARK_DIST_CLASSPATH" ]; then
  SPARK_DIST_CLASSPATH=$("$HADOOP_HOME/bin/hadoop" classpath)
fi

executor_java_options=()
for option in "${!SPARK_JAVA_OPT_@}"; do
  executor_java_options+=("${!option}")
done

as_spark=()
if [ "$(id -u)" -eq 0 ]; then as_spark=(gosu spark); fi

case "$1" in
  driver)
    shift
    give_uid_a_name
    exec "${as_spark[@]}" /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    give_uid_a_name
    exec "${as_spark[@]}" /usr/bin/tini -s -- "$JAVA_HOME/bin/java" \
      "${executor_java_options[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$classpath${SPARK_DIST_CLASSPATH:+:$SPARK_DIST_CLASSPATH}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" \
      --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
      --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    give_uid_a_name
    exec "$@"
    ;;
esac
