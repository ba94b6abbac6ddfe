// `koppel pki issue`: a peer certificate from the development group CA.
import { resolve } from 'node:path';
import { issuePeerCertificate } from '../certs/index.ts';
import { defineCommand } from './command.ts';
import { ExitCode } from './io.ts';
import { reportPkiError } from './pki-errors.ts';

export const pkiIssue = defineCommand({
  description:
    'Issue a peer certificate (EC P-256, one year) signed by the group CA in DIR: Subject serialNumber = OIN (the FSC peer id), O = NAME, CN = the first host, subjectAltName = the hosts, usable as TLS server and client. Writes PREFIX.pem (certificate, then the CA) and PREFIX.key.pem (mode 0600); never overwrites.',
  options: {
    dir: {
      type: 'string',
      required: true,
      valueName: 'DIR',
      description: 'PKI directory holding ca.pem and ca.key.pem',
    },
    oin: { type: 'string', required: true, valueName: 'OIN', description: 'the 20-digit OIN of the organisation' },
    name: { type: 'string', required: true, valueName: 'NAME', description: 'organisation name (Subject O)' },
    host: {
      type: 'string',
      required: true,
      multiple: true,
      valueName: 'HOST[,HOST]',
      description: 'DNS name or IP address the peer is reached at',
    },
    out: { type: 'string', valueName: 'PREFIX', description: 'output path prefix (default: DIR/OIN)' },
  },
  examples: [
    'koppel pki issue --dir data/pki --oin 00000001234567890000 --name "Gemeente Voorbeeld" --host localhost,127.0.0.1',
  ],
  async run({ values, io, meta }) {
    const hosts = values.host
      .flatMap((h) => h.split(','))
      .map((h) => h.trim())
      .filter((h) => h !== '');
    try {
      const files = await issuePeerCertificate({
        dir: resolve(io.cwd, values.dir),
        oin: values.oin,
        name: values.name,
        hosts,
        ...(values.out === undefined ? {} : { out: resolve(io.cwd, values.out) }),
      });
      io.stdout.write(
        `certificate for ${values.name} (OIN ${values.oin}, hosts ${hosts.join(', ')})\n  certificate ${files.certPath}\n  key         ${files.keyPath} (mode 0600)\n`,
      );
      return ExitCode.ok;
    } catch (err) {
      return reportPkiError(err, io, meta);
    }
  },
});
