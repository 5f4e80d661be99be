// Where the calls go and how the weight moves: through the proxy (one
// address, weights in HAProxy) or, without one, on the client (an address
// per deployment, the same weights in a WeightedChoice); and a weight change
// in the middle of a stream of calls, with the calls it cost counted.
import { createGreeterClient } from '@course/08-prometheus-metrics';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { PersonName } from '@course/proto/gen/greeter/v2/PersonName';
import { createGreeterV2Client, many, type Reply, sayHelloV1, sayHelloV2, WeightedChoice } from './client.js';
import { setCanaryWeight } from './proxy.js';

/** What a caller sees: v1 and v2 calls, and a weight to turn. */
export interface Front {
  v1(name: string): Promise<Reply>;
  v2(name: PersonName): Promise<Reply>;
  /** Canary's share of greeter.v1 calls, 0 to 100. */
  setWeight(weight: number): Promise<void>;
  close(): void;
}

export interface ClientTls {
  ca: Buffer;
  token: string;
}

/** One address for both versions: the proxy routes by path and weight. */
export function proxyFront(address: string, socket: string, tls: ClientTls): Front {
  const v1 = createGreeterClient(address, tls);
  const v2 = createGreeterV2Client(address, tls);
  return {
    v1: (name) => sayHelloV1(v1, name),
    v2: (name) => sayHelloV2(v2, name),
    setWeight: (weight) => setCanaryWeight(socket, weight),
    close() {
      v1.close();
      v2.close();
    },
  };
}

/** No proxy: the client knows both deployments and splits greeter.v1 itself, as HAProxy's roundrobin would. */
export function clientFront(deployments: { stable: string; canary: string }, weight: number, tls: ClientTls): Front {
  const stable = createGreeterClient(deployments.stable, tls);
  const canary = createGreeterClient(deployments.canary, tls);
  const v2 = createGreeterV2Client(deployments.canary, tls);
  const choice = new WeightedChoice<GreeterClient>([stable, canary], [100 - weight, weight]);
  return {
    v1: (name) => sayHelloV1(choice.pick(), name),
    v2: (name) => sayHelloV2(v2, name),
    async setWeight(w) {
      choice.setWeights([100 - w, w]);
    },
    close() {
      for (const c of [stable, canary, v2]) c.close();
    },
  };
}

export interface WeightChange {
  /** Every reply, in call order: v1 calls, and every tenth call a v2 one. */
  replies: Reply[];
  /** How many calls had been answered when the new weight was in place. */
  changedAfter: number;
}

/**
 * `calls` calls, 8 at a time, v1 with every tenth a v2 one; once a third have
 * been answered the weight changes, with the rest still coming. What a
 * rollout step or a rollback costs is the failed calls among the replies.
 */
export async function changeUnderLoad(front: Front, weight: number, calls = 600): Promise<WeightChange> {
  let answered = 0;
  let changedAfter = -1;
  let change: Promise<void> | undefined;
  const replies = await many(calls, async (i) => {
    const reply = i % 10 === 9 ? await front.v2({ given: 'Grace', family: 'Hopper' }) : await front.v1('Ada');
    if (++answered === Math.floor(calls / 3))
      change = front.setWeight(weight).then(() => {
        changedAfter = answered;
      });
    return reply;
  });
  await change;
  return { replies, changedAfter };
}
