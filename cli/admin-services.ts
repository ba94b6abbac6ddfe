// `koppel services` (this peer's services and the group's, with inway health) and `koppel publish`
// (offer a service to the directory), through the admin API.
import { adminOptions, createAdminClient, reportAdminError, resolveAdminTarget } from './admin-client.ts';
import { ago, protocolLabel, renderTable, shortHash } from './admin-table.ts';
import type { AdminContract, AdminPublishAnswer, AdminServicesAnswer } from '../gateway/admin/index.ts';
import { defineCommand, UsageError } from './command.ts';
import { ExitCode, type CliIo } from './io.ts';

const PROTOCOLS: Readonly<Record<string, string>> = {
  'PROTOCOL_TCP_HTTP_1.1': 'PROTOCOL_TCP_HTTP_1.1',
  PROTOCOL_TCP_HTTP_2: 'PROTOCOL_TCP_HTTP_2',
  'http/1.1': 'PROTOCOL_TCP_HTTP_1.1',
  'http1.1': 'PROTOCOL_TCP_HTTP_1.1',
  '1.1': 'PROTOCOL_TCP_HTTP_1.1',
  'http/2': 'PROTOCOL_TCP_HTTP_2',
  http2: 'PROTOCOL_TCP_HTTP_2',
  h2: 'PROTOCOL_TCP_HTTP_2',
  '2': 'PROTOCOL_TCP_HTTP_2',
};

function health(h: { status: string; checkedAt?: number } | undefined, now: number): [string, string] {
  if (h === undefined) return ['', ''];
  return [h.status, ago(h.checkedAt, now)];
}

export function renderServices(data: AdminServicesAnswer, now: number): string {
  const out: string[] = [];
  out.push(`Services of this peer (${data.peer.name}, ${data.peer.id}):`);
  if (data.own.length === 0) out.push('  none (publish one with `koppel publish`)');
  else {
    out.push(
      renderTable(
        ['NAME', 'PROTOCOL', 'INWAY', 'ENDPOINT', 'PUBLICATION', 'HEALTH'],
        data.own.map((s) => [
          s.name,
          protocolLabel(s.protocol),
          s.inwayAddress,
          s.endpointUrl,
          s.publication === null ? 'none' : s.publication.state,
          health(s.health, now)[0],
        ]),
      ).trimEnd(),
    );
  }
  out.push('');
  if (data.directory === null) {
    out.push('Group services: no directory configured.');
  } else if (!data.directory.reachable) {
    out.push(`Group services: unavailable (${data.directory.error ?? 'the directory could not be asked'}).`);
  } else {
    out.push('Group services (directory):');
    if (data.group.length === 0) out.push('  none published yet');
    else {
      out.push(
        renderTable(
          ['PEER', 'ORGANISATION', 'SERVICE', 'PROTOCOL', 'INWAY', 'HEALTH', 'CHECKED'],
          data.group.map((s) => [
            s.peer.id,
            s.delegator === undefined ? s.peer.name : `${s.peer.name} for ${s.delegator.name}`,
            s.name,
            protocolLabel(s.protocol),
            s.inwayAddress ?? '',
            ...health(s.health, now),
          ]),
        ).trimEnd(),
      );
    }
  }
  return `${out.join('\n')}\n`;
}

export const services = defineCommand({
  description:
    "List this peer's services with their publication state, and the group's services from the directory with the health of their inways.",
  options: adminOptions,
  examples: [
    'koppel services --config peer.json',
    'koppel services --admin http://127.0.0.1:8081 --token-file data/admin-token --json',
  ],
  async run({ values, io, meta }) {
    const target = await resolveAdminTarget(values, io);
    try {
      const data = await createAdminClient(target, io).call<AdminServicesAnswer>('GET', '/admin/services');
      io.stdout.write(values.json === true ? `${JSON.stringify(data, null, 2)}\n` : renderServices(data, Date.now()));
      return ExitCode.ok;
    } catch (err) {
      return reportAdminError(err, io, meta.name);
    }
  },
});

function describeContract(contract: AdminContract): string {
  const waiting = contract.missingSigners.length === 0 ? '' : `, waiting for ${contract.missingSigners.join(', ')}`;
  return `contract ${contract.hash} (${contract.state}${waiting})`;
}

export function writePublished(io: CliIo, result: AdminPublishAnswer, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const what = result.created ? 'offered to the directory' : 'already published';
  io.stdout.write(
    `${result.service.name} ${what}: ${protocolLabel(result.service.protocol)} at ${result.service.inwayAddress}\n  ${describeContract(result.contract)}\n`,
  );
  if (result.contract.state === 'proposed') io.stdout.write(`  short hash ${shortHash(result.contract.hash)}\n`);
}

export const publish = defineCommand({
  description:
    'Publish a service: the inway forwards it to ENDPOINT, and a ServicePublication contract is signed and offered to the group directory, which lists the service once it co-signs.',
  options: {
    name: { type: 'string', required: true, valueName: 'NAME', description: 'service name (letters, digits, . - _)' },
    endpoint: {
      type: 'string',
      required: true,
      valueName: 'URL',
      description: 'where the inway forwards requests, e.g. http://127.0.0.1:9000/api',
    },
    inway: {
      type: 'string',
      valueName: 'URL',
      description: 'public inway address https://host:port (default: inway.publicAddress)',
    },
    protocol: { type: 'string', valueName: 'PROTOCOL', description: 'http/1.1 (default) or http/2' },
    'validity-days': {
      type: 'string',
      valueName: 'DAYS',
      description: 'how long the publication contract runs (default 365)',
    },
    ...adminOptions,
  },
  examples: [
    'koppel publish --config peer.json --name basisregistratie --endpoint http://127.0.0.1:9000/api --inway https://inway.example.nl:443',
  ],
  async run({ values, io, meta }) {
    const body: Record<string, unknown> = { name: values.name, endpointUrl: values.endpoint };
    if (values.inway !== undefined) body.inwayAddress = values.inway;
    if (values.protocol !== undefined) {
      const protocol = PROTOCOLS[values.protocol] ?? PROTOCOLS[values.protocol.toLowerCase()];
      if (protocol === undefined) throw new UsageError(`--protocol ${values.protocol}: use http/1.1 or http/2`);
      body.protocol = protocol;
    }
    if (values['validity-days'] !== undefined) {
      const days = Number(values['validity-days']);
      if (!Number.isInteger(days) || days < 1) throw new UsageError('--validity-days must be a whole number of days');
      body.validityDays = days;
    }
    const target = await resolveAdminTarget(values, io);
    try {
      const result = await createAdminClient(target, io).call<AdminPublishAnswer>('POST', '/admin/services', body);
      writePublished(io, result, values.json === true);
      return ExitCode.ok;
    } catch (err) {
      return reportAdminError(err, io, meta.name);
    }
  },
});
