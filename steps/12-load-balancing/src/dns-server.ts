// A DNS server that answers for one name with several addresses, so that a
// `dns:` target really resolves to more than one backend wherever the
// lesson runs (a hosts file may give `localhost` only 127.0.0.1).
import dgram from 'node:dgram';
import { once } from 'node:events';
import { isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';

export interface DnsServerHandle {
  /** host:port, for a `dns://HOST:PORT/name:port` target's authority. */
  address: string;
  port: number;
  /** How many queries it has answered, by type (A, AAAA, TXT, ...). */
  queries: Record<string, number>;
  stop(): Promise<void>;
}

/** Answers A and AAAA queries for `name` with `addresses`; any other name or type gets no records. */
export async function startDnsServer(name: string, addresses: string[], { host = '127.0.0.1', port = 0 } = {}): Promise<DnsServerHandle> {
  const socket = dgram.createSocket('udp4');
  const queries: Record<string, number> = {};
  socket.on('message', (message, peer) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return; // Not DNS: nothing to answer.
    }
    const [question] = query.questions ?? [];
    if (!question) return;
    queries[question.type] = (queries[question.type] ?? 0) + 1;
    const family = question.type === 'A' ? (a: string) => !isIPv6(a) : question.type === 'AAAA' ? isIPv6 : () => false;
    const matches = question.name.toLowerCase() === name.toLowerCase() ? addresses.filter(family) : [];
    const answer = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [question],
      answers: matches.map((data) => ({ type: question.type as 'A' | 'AAAA', name: question.name, ttl: 1, data })),
    });
    socket.send(answer, peer.port, peer.address);
  });
  socket.bind(port, host);
  await once(socket, 'listening');
  const bound = socket.address().port;
  return {
    address: `${host}:${bound}`,
    port: bound,
    queries,
    async stop() {
      socket.close();
      await once(socket, 'close');
    },
  };
}
