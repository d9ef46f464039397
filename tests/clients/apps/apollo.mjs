// Apollo Client 3 as a front end sets it up (README, "Front-end clients"), and what its
// normalized cache must show against the real server.
import { ApolloClient, InMemoryCache, gql, split } from "@apollo/client/core/index.js";
import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { getMainDefinition, relayStylePagination } from "@apollo/client/utilities/index.js";
import createUploadLink from "apollo-upload-client/createUploadLink.mjs";
import { createClient } from "graphql-ws";
import { createHash } from "node:crypto";
import WebSocket from "ws";

import * as common from "./common.mjs";
import { expectEqual, fail, passed } from "./common.mjs";

loadDevMessages(); // warnings and errors in words, for the test's output
loadErrorMessages();

const MESSAGES = gql(common.MESSAGES);
const EDIT = gql(common.EDIT);
const EVENTS = gql(common.EVENTS);
const MEMBERS = gql(common.MEMBERS);
const ASSIGN = gql(common.ASSIGN);
const SEND_FILE = gql`mutation SendFile($chatId: ID!, $files: [Upload!]) {
  sendMessage(input: {chatId: $chatId, content: "a file", attachments: $files}) {
    id attachments { filename contentType size url }
  }
}`;
const CONTENT = gql`fragment Content on Message { content }`;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

export function apolloClient({ httpUrl, wsUrl, token, fetch }) {
  const sockets = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket, // a browser has its own
    connectionParams: { Authorization: `Bearer ${token}` },
  });
  const overHttp = createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    createUploadLink({ uri: httpUrl, headers: { authorization: `Bearer ${token}` }, fetch }),
  );
  const isSubscription = ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === "OperationDefinition" && definition.operation === "subscription";
  };
  const client = new ApolloClient({
    link: split(isSubscription, new GraphQLWsLink(sockets), overHttp),
    cache: new InMemoryCache({
      typePolicies: {
        Query: { fields: { messages: relayStylePagination(["chatId"]) } },
        Message: { fields: { reactions: { merge: false }, editHistory: { merge: false } } },
        Chat: { fields: { permissionOverwrites: { merge: false } } },
      },
    }),
  });
  return { client, sockets };
}

export async function apollo(world) {
  const recorded = common.recordingFetch();
  const { client, sockets } = apolloClient({ ...world.alice, ...world, fetch: recorded.fetch });
  const { chatId, spaceId } = world;
  const history = () =>
    client.readQuery({ query: MESSAGES, variables: { chatId } })?.messages ?? fail("no history in the cache");
  const contentOf = (id) =>
    client.readFragment({ id: client.cache.identify({ __typename: "Message", id }), fragment: CONTENT })
      ?.content;
  try {
    // Two pages of history, merged by relayStylePagination.
    const page = await client.query({ query: MESSAGES, variables: { chatId, first: 3 } });
    expectEqual(page.data.messages.edges.length, 3, "the first page");
    const messages = client.watchQuery({ query: MESSAGES, variables: { chatId, first: 3 } });
    await messages.fetchMore({ variables: { after: page.data.messages.pageInfo.endCursor } });
    const merged = history();
    expectEqual(
      merged.edges.map((edge) => edge.node.content),
      world.messages.map((message) => message.content),
      "both pages merged, oldest first",
    );
    expectEqual(merged.pageInfo.hasNextPage, false, "hasNextPage after the last page");
    passed("apollo", "relayStylePagination merges two messages pages");

    // The same document twice: by hash over GET (unknown) → resent with the query → by hash.
    const sent = recorded.of("Messages");
    const hash = sha256(sent[1].query);
    expectEqual(
      sent.map(({ method, query, extensions }) => [method, Boolean(query), extensions?.persistedQuery?.sha256Hash]),
      [["GET", false, hash], ["POST", true, hash], ["GET", false, hash]],
      "Messages requests: (method, has query, hash)",
    );
    expectEqual(sent[0].answer.errors?.[0]?.extensions?.code, "PERSISTED_QUERY_NOT_FOUND", "first answer");
    expectEqual(sent[0].answer.errors?.[0]?.message, "PersistedQueryNotFound", "first answer's message");
    expectEqual(sent[2].answer.errors, undefined, "errors answering the hash once known");
    expectEqual(sent[2].answer.data.messages.edges.length, 2, "the second page, by hash only");
    passed("apollo", "automatic persisted queries: not found, resent with the query, then by hash over GET");

    // A mutation updates the cached message in place.
    const own = world.messages[0];
    const edited = `${own.content}, edited with Apollo`;
    await client.mutate({ mutation: EDIT, variables: { id: own.id, content: edited } });
    expectEqual(contentOf(own.id), edited, "the cached message after editMessage");
    expectEqual(history().edges[0].node.content, edited, "the cached history after editMessage");
    expectEqual(messages.getCurrentResult().data.messages.edges[0].node.content, edited, "the watched history");
    expectEqual(recorded.of("Messages").length, 3, "Messages requests (no refetch)");
    passed("apollo", "editMessage updates the cached Message in place");

    // A subscription event (another user's edit) updates it too.
    const events = common.eventStream();
    const subscription = client
      .subscribe({ query: EVENTS, variables: { chatId, after: world.after } })
      .subscribe({
        next: (result) => (result.errors ? events.fail(result.errors) : events.push(result.data.chatEvents)),
        error: (error) => events.fail(String(error)),
      });
    await common.live(world, events, "marker for Apollo");
    const theirs = world.messages.find((message) => message.author === "bob");
    const editedByBob = `${theirs.content}, edited by Bob for Apollo`;
    await common.http(world.httpUrl, world.bob.token, common.EDIT, { id: theirs.id, content: editedByBob });
    await events.until(
      (event) => event.__typename === "MessageUpdated" && event.message.content === editedByBob,
      "Bob's edit",
    );
    expectEqual(contentOf(theirs.id), editedByBob, "the cached message after MessageUpdated");
    expectEqual(
      history().edges.find((edge) => edge.node.id === theirs.id).node.content,
      editedByBob,
      "the cached history after MessageUpdated",
    );
    expectEqual(recorded.of("Messages").length, 3, "Messages requests (no refetch)");
    subscription.unsubscribe();
    passed("apollo", "a chatEvents MessageUpdated updates the cached Message in place");

    // assignRole's Member (keyed by its id) updates the cached member list.
    const variables = { spaceId };
    const before = await client.query({ query: MEMBERS, variables });
    if (common.rolesOf(before.data, world.bob.id).includes(world.roles.apollo.name)) {
      fail("Bob has the role before assignRole");
    }
    await client.mutate({
      mutation: ASSIGN,
      variables: { spaceId, userId: world.bob.id, roleId: world.roles.apollo.id },
    });
    const members = client.readQuery({ query: MEMBERS, variables });
    if (!common.rolesOf(members, world.bob.id).includes(world.roles.apollo.name)) {
      fail(`the cached member list after assignRole: ${JSON.stringify(members)}`);
    }
    expectEqual(recorded.of("Members").length, 2, "Members requests (hash, then query; no refetch)");
    passed("apollo", "assignRole updates the cached member list");

    // An upload through the upload link (and the persisted-query link before it).
    const text = "hello from Apollo\n";
    const file = new File([text], "hello.txt", { type: "text/plain" });
    const result = await client.mutate({ mutation: SEND_FILE, variables: { chatId, files: [file] } });
    const [attachment] = result.data.sendMessage.attachments;
    expectEqual(
      [attachment.filename, attachment.contentType, attachment.size],
      ["hello.txt", "text/plain", Buffer.byteLength(text)],
      "the attachment",
    );
    expectEqual(await (await fetch(attachment.url)).text(), text, "the attachment's content");
    expectEqual(
      recorded.of("SendFile").map((request) => request.multipart),
      [true, true],
      "SendFile requests are multipart",
    );
    passed("apollo", "sendMessage uploads an attachment through createUploadLink");
  } finally {
    client.stop();
    await sockets.dispose();
  }
}
