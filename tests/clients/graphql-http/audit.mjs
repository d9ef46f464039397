// Runs every graphql-http server audit against the URL given, printing one JSON line per
// audit: {id, name, status, reason}. Exits 0 whatever the outcome: the test judges.
import { serverAudits } from "graphql-http";

const url = process.argv[2];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  console.log(JSON.stringify({ id: audit.id, name: audit.name, status: result.status, reason: result.reason ?? null }));
}
