import { PrometheusError, queryVector } from "./prometheus.js";
import { FLEET_QUERIES, rankFleet, type FleetAnswers, type FleetRow } from "./rank.js";

/** Asks Prometheus every fleet query at once and ranks the nodes; a failure is one line. */
export async function fleet(prometheus: string): Promise<{ rows: FleetRow[] } | { error: string }> {
  const keys = Object.keys(FLEET_QUERIES) as Array<keyof typeof FLEET_QUERIES>;
  try {
    const answers = await Promise.all(keys.map((k) => queryVector(prometheus, FLEET_QUERIES[k])));
    return { rows: rankFleet(Object.fromEntries(keys.map((k, i) => [k, answers[i]])) as FleetAnswers) };
  } catch (err) {
    if (err instanceof PrometheusError) return { error: err.message };
    throw err;
  }
}
