/** One series of an instant-vector answer from Prometheus' /api/v1/query. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export class PrometheusError extends Error {
  override name = "PrometheusError" as const;
}

/** Runs an instant query; throws PrometheusError with a one-line reason on any failure. */
export async function queryVector(base: string, promql: string, timeoutMs = 10_000): Promise<VectorSample[]> {
  const url = new URL("api/v1/query", base.endsWith("/") ? base : base + "/");
  url.searchParams.set("query", promql);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const c = (err as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
    const cause = c?.code ?? c?.errors?.[0]?.code ?? (err as Error).message;
    throw new PrometheusError(`cannot reach Prometheus at ${base}: ${cause}`);
  }
  const body = (await res.json().catch(() => null)) as {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: unknown[] };
  } | null;
  if (body === null)
    throw new PrometheusError(
      `${url.origin}${url.pathname} answered HTTP ${res.status} without JSON (is ${base} a Prometheus?)`,
    );
  if (body.status !== "success")
    throw new PrometheusError(`Prometheus rejected ${promql}: ${body.error ?? `HTTP ${res.status}`}`);
  if (body.data?.resultType !== "vector")
    throw new PrometheusError(
      `Prometheus answered ${body.data?.resultType ?? "nothing"} for ${promql}, expected a vector`,
    );
  return (body.data.result ?? []).map((r) => {
    const s = r as { metric: Record<string, string>; value: [number, string] };
    return { metric: s.metric, value: Number(s.value[1]) };
  });
}
