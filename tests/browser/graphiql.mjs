// Drives GraphiQL in headless Chromium for tests/api/test_graphiql_browser.py.
// argv[2]: JSON {origin, chromium, headers, query, expect}. Blocks every request to another
// host (as offline), runs `query` from GraphiQL's editor with `headers` in its Headers editor,
// prints {"subscribed": true} once a subscription went out, then, when the result pane shows
// `expect`, prints {result, outside, sent, errors} and exits.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../app/graphiql/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const options = JSON.parse(process.argv[2]);
const browser = await chromium.launch({ executablePath: options.chromium, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  const outside = [];
  const sent = [];
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("websocket", (socket) =>
    socket.on("framesent", (frame) => {
      const message = JSON.parse(frame.payload);
      sent.push(message);
      if (message.type === "subscribe") console.log(JSON.stringify({ subscribed: true }));
    }),
  );
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === options.origin) return route.continue();
    outside.push(url);
    return route.abort("internetdisconnected");
  });
  // GraphiQL starts from what it persisted: the query and the Headers editor's JSON.
  await page.addInitScript(({ query, headers }) => {
    localStorage.setItem("graphiql:query", query);
    localStorage.setItem("graphiql:headers", JSON.stringify(headers));
  }, options);
  await page.goto(`${options.origin}/graphql`);
  await page.click(".graphiql-execute-button", { timeout: 15000 });
  const result = page.locator(".result-window");
  await result.getByText(options.expect).waitFor({ timeout: 15000 });
  const text = await page.evaluate(
    () => document.querySelector(".result-window .CodeMirror").CodeMirror.getValue(),
  );
  console.log(JSON.stringify({ result: text, outside, sent, errors }));
} finally {
  await browser.close();
}
