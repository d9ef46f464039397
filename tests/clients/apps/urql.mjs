// urql with Graphcache as a front end sets it up (README, "Front-end clients"), and what its
// normalized cache must show against the real server.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { buildSchema, introspectionFromSchema } from "graphql";
import { createClient } from "graphql-ws";
import { readFileSync } from "node:fs";
import WebSocket from "ws";

import * as common from "./common.mjs";
import { expectEqual, fail, passed } from "./common.mjs";

// The server's SDL, as GraphQL Code Generator's urql-introspection plugin would give it:
// Graphcache then knows the members of the event unions instead of matching them by guesswork.
const schema = introspectionFromSchema(
  buildSchema(readFileSync(new URL("../../../schema.graphql", import.meta.url), "utf8")),
);

export function urqlClient({ httpUrl, wsUrl, token, fetch }) {
  const sockets = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket, // a browser has its own
    connectionParams: { Authorization: `Bearer ${token}` },
  });
  const client = new Client({
    url: httpUrl,
    fetch,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      cacheExchange({
        schema,
        keys: { ReactionGroup: () => null, MessageRevision: () => null, PermissionOverwrite: () => null },
      }),
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: sockets.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
      fetchExchange,
    ],
  });
  return { client, sockets };
}

/** Data from the cache alone. */
async function cached(client, query, variables) {
  const result = await client.query(query, variables, { requestPolicy: "cache-only" }).toPromise();
  if (!result.data) fail(`${query} is not in the cache`);
  return result.data;
}

async function data(operation) {
  const result = await operation.toPromise();
  if (result.error) fail(String(result.error));
  return result.data;
}

export async function urql(world) {
  const recorded = common.recordingFetch();
  const { client, sockets } = urqlClient({ ...world.alice, ...world, fetch: recorded.fetch });
  const { chatId, spaceId } = world;
  const variables = { chatId, first: 100 };
  const contentOf = async (id) => {
    const { messages } = await cached(client, common.MESSAGES, variables);
    return messages.edges.find((edge) => edge.node.id === id)?.node.content;
  };
  try {
    await data(client.query(common.MESSAGES, variables));

    // A mutation updates the cached message in place.
    const own = world.messages[1];
    const edited = `${own.content}, edited with urql`;
    await data(client.mutation(common.EDIT, { id: own.id, content: edited }));
    expectEqual(await contentOf(own.id), edited, "the cached message after editMessage");
    expectEqual(recorded.of("Messages").length, 1, "Messages requests (no refetch)");
    passed("urql", "editMessage updates the cached Message in place");

    // A subscription event (another user's edit) updates it too.
    const events = common.eventStream();
    const stream = client.subscription(common.EVENTS, { chatId, after: world.after });
    const subscription = stream.subscribe((result) => {
      if (result.error) events.fail(String(result.error));
      else events.push(result.data.chatEvents);
    });
    await common.live(world, events, "marker for urql");
    const theirs = world.messages.find((message) => message.author === "bob");
    const editedByBob = `${theirs.content}, edited by Bob for urql`;
    await common.http(world.httpUrl, world.bob.token, common.EDIT, { id: theirs.id, content: editedByBob });
    await events.until(
      (event) => event.__typename === "MessageUpdated" && event.message.content === editedByBob,
      "Bob's edit",
    );
    expectEqual(await contentOf(theirs.id), editedByBob, "the cached message after MessageUpdated");
    expectEqual(recorded.of("Messages").length, 1, "Messages requests (no refetch)");
    subscription.unsubscribe();
    passed("urql", "a chatEvents MessageUpdated updates the cached Message in place");

    // assignRole's Member (keyed by its id) updates the cached member list.
    const before = await data(client.query(common.MEMBERS, { spaceId }));
    if (common.rolesOf(before, world.bob.id).includes(world.roles.urql.name)) {
      fail("Bob has the role before assignRole");
    }
    await data(client.mutation(common.ASSIGN, { spaceId, userId: world.bob.id, roleId: world.roles.urql.id }));
    const members = await cached(client, common.MEMBERS, { spaceId });
    if (!common.rolesOf(members, world.bob.id).includes(world.roles.urql.name)) {
      fail(`the cached member list after assignRole: ${JSON.stringify(members)}`);
    }
    expectEqual(recorded.of("Members").length, 1, "Members requests (no refetch)");
    passed("urql", "assignRole updates the cached member list");
  } finally {
    await sockets.dispose();
  }
}
