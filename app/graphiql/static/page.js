// Renders GraphiQL on /graphql (see app/ide.py). Queries and mutations go over HTTP to this
// page's URL, subscriptions over a graphql-ws socket to the same URL. GraphiQL's fetcher merges
// the Headers editor's JSON into the socket's connection_init payload, so the README's
// {"Authorization": "Bearer <accessToken>"} signs in subscriptions as well as HTTP requests.
"use strict";

const url = window.location.href.split(/[?#]/)[0];
const socketUrl = new URL(url);
socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";

const defaultQuery = `# The Space's GraphQL API. Sign in with the register or login mutation, then put
#   {"Authorization": "Bearer <accessToken>"}
# into Headers (below): it is sent with every request and, for subscriptions,
# in the socket's connection_init.
{
  __typename
}
`;

const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: socketUrl.toString() });

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery,
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true,
  }),
);
