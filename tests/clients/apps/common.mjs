// What the Apollo and urql checks share: the world the test built, plain HTTP for the other
// user's writes, a fetch that records what the client sent, and checks that throw on a mismatch.
import { isDeepStrictEqual } from "node:util";

const SECONDS = 10;

export function fail(what) {
  throw new Error(what);
}

export function expectEqual(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export function passed(client, check) {
  console.log(`ok ${client}: ${check}`);
}

/** A GraphQL request over plain HTTP (the other user's side); its data, or it throws. */
export async function http(url, token, query, variables) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) fail(`${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A fetch for a client's HTTP link that keeps every request it sends (the GraphQL request:
 * operationName, query, extensions; its method, whether multipart) and the JSON of every answer. */
export function recordingFetch() {
  const requests = [];
  async function recording(url, init = {}) {
    const method = init.method ?? "GET";
    const multipart = init.body instanceof FormData;
    const request = { ...sent(url, method, init.body), method, multipart, answer: null };
    requests.push(request);
    const response = await fetch(url, init);
    request.answer = await response.clone().json();
    return response;
  }
  return {
    fetch: recording,
    /** What was sent for one operation, in order. */
    of: (operationName) => requests.filter((request) => request.operationName === operationName),
  };
}

function sent(url, method, body) {
  if (method === "GET") {
    const parameters = new URL(url).searchParams;
    const extensions = parameters.get("extensions");
    return {
      operationName: parameters.get("operationName"),
      query: parameters.get("query") ?? undefined,
      extensions: extensions ? JSON.parse(extensions) : undefined,
    };
  }
  return JSON.parse(body instanceof FormData ? body.get("operations") : body);
}

/** The events of a subscription, to wait on one by what it holds. */
export function eventStream() {
  const seen = [];
  let error = null;
  let wake = () => {};
  return {
    push(event) {
      seen.push(event);
      wake();
    },
    fail(reason) {
      error = reason;
      wake();
    },
    async until(matches, what) {
      const deadline = Date.now() + SECONDS * 1000;
      for (;;) {
        if (error) fail(`subscription failed waiting for ${what}: ${JSON.stringify(error)}`);
        const found = seen.find(matches);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) fail(`no ${what} within ${SECONDS} s; events: ${JSON.stringify(seen)}`);
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, left);
        });
      }
    },
  };
}

export const SEND = `mutation($chatId: ID!, $content: String!) {
  sendMessage(input: {chatId: $chatId, content: $content}) { id }
}`;
export const EDIT = `mutation Edit($id: ID!, $content: String!) {
  editMessage(id: $id, content: $content) { id content editedAt }
}`;
export const MESSAGES = `query Messages($chatId: ID!, $first: Int, $after: String) {
  messages(chatId: $chatId, first: $first, after: $after) {
    edges { cursor node { id content editedAt author { id tag } reactions { emoji count } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const EVENTS = `subscription Events($chatId: ID!, $after: String) {
  chatEvents(chatId: $chatId, after: $after) {
    __typename
    ... on MessageCreated { message { id content } }
    ... on MessageUpdated { message { id content editedAt } }
  }
}`;
export const MEMBERS = `query Members($spaceId: ID!) {
  space(id: $spaceId) { id members { edges { node { id user { id tag } roles { id name } } } } }
}`;
export const ASSIGN = `mutation Assign($spaceId: ID!, $userId: ID!, $roleId: ID!) {
  assignRole(spaceId: $spaceId, userId: $userId, roleId: $roleId) { id roles { id name } }
}`;

/** The role names of one user in a Members result. */
export function rolesOf(data, userId) {
  const member = data.space.members.edges.find((edge) => edge.node.user.id === userId);
  return member.node.roles.map((role) => role.name).sort();
}

/** The other user posts a marker and waits until the stream has it: from then on the
 * subscription is live (chatEvents replays from `after` first, with no gap), so what the
 * other user does next reaches it. */
export async function live(world, events, content) {
  const { sendMessage } = await http(world.httpUrl, world.bob.token, SEND, {
    chatId: world.chatId,
    content,
  });
  await events.until((event) => event.message?.id === sendMessage.id, `the marker "${content}"`);
}
