// The directory catalogue: a small server-rendered page (hono/jsx, no build step, no script) listing
// the group's services with their inway health, and the peers of the group. Served on the
// directory's admin listener (loopback only) at `/catalogue`. Every value is escaped by hono/jsx;
// names come from certificates and validated contract fields, never raw HTML.
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { FC } from 'hono/jsx';
import type { DirectoryService, DirectoryView, HealthStatus } from './directory-view.ts';

export interface CataloguePeer {
  id: string;
  name: string;
  managerAddress: string;
}

export interface CatalogueOptions {
  view: DirectoryView;
  /** The group's peers (the directory's peer list). */
  peers: () => Promise<CataloguePeer[]>;
  groupId: string;
  directoryName: string;
  /** Milliseconds since the epoch. */
  clock: () => number;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; font-size: .92rem; }
th { background: #f3f3f3; }
.health { font-weight: 600; }
.health-up { color: #126b2f; } .health-down { color: #b3261e; } .health-unknown { color: #6b6b6b; }
code { font-size: .85rem; }
`;

function ago(seconds: number | undefined, nowSeconds: number): string {
  if (seconds === undefined) return '';
  const d = Math.max(0, nowSeconds - seconds);
  if (d < 60) return `${d}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  return `${Math.floor(d / 3600)}h ago`;
}

const Health: FC<{ status: HealthStatus }> = ({ status }) => (
  <span class={`health health-${status}`} data-health={status}>
    {status}
  </span>
);

const ServiceRow: FC<{ service: DirectoryService; nowSeconds: number }> = ({ service, nowSeconds }) => (
  <tr data-service={`${service.peer.id}/${service.name}`}>
    <td>{service.name}</td>
    <td>
      {service.peer.name} <code>{service.peer.id}</code>
    </td>
    <td>{service.delegator === undefined ? '' : `${service.delegator.name} (${service.delegator.id})`}</td>
    <td>{service.protocol.replace('PROTOCOL_TCP_', '')}</td>
    <td>
      <code>{service.inwayAddress ?? ''}</code>
    </td>
    <td>
      <Health status={service.health.status} />
    </td>
    <td>{ago(service.health.checkedAt, nowSeconds)}</td>
  </tr>
);

const Page: FC<{
  title: string;
  groupId: string;
  services: DirectoryService[];
  peers: CataloguePeer[];
  nowSeconds: number;
}> = (props) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta http-equiv="refresh" content="30" />
      <title>{props.title}</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <h1>{props.title}</h1>
      <p>
        Group <code>{props.groupId}</code>: {props.services.length} service{props.services.length === 1 ? '' : 's'},{' '}
        {props.peers.length} peer{props.peers.length === 1 ? '' : 's'}.
      </p>
      <h2>Services</h2>
      {props.services.length === 0 ? (
        <p>No services are published yet.</p>
      ) : (
        <table id="services">
          <thead>
            <tr>
              <th>Service</th>
              <th>Provider</th>
              <th>On behalf of</th>
              <th>Protocol</th>
              <th>Inway</th>
              <th>Health</th>
              <th>Checked</th>
            </tr>
          </thead>
          <tbody>
            {props.services.map((s) => (
              <ServiceRow service={s} nowSeconds={props.nowSeconds} />
            ))}
          </tbody>
        </table>
      )}
      <h2>Peers</h2>
      <table id="peers">
        <thead>
          <tr>
            <th>Name</th>
            <th>Peer id</th>
            <th>Manager</th>
          </tr>
        </thead>
        <tbody>
          {props.peers.map((p) => (
            <tr>
              <td>{p.name}</td>
              <td>
                <code>{p.id}</code>
              </td>
              <td>
                <code>{p.managerAddress}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </body>
  </html>
);

/** `GET /catalogue` as a hono app, to mount on the admin listener. */
export function catalogueRoutes(options: CatalogueOptions): Hono {
  const app = new Hono();
  app.get('/catalogue', async (c) => {
    const [services, peers] = await Promise.all([options.view.listServices(), options.peers()]);
    c.header('cache-control', 'no-store');
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    const page = (
      <Page
        title={`${options.directoryName}: service catalogue`}
        groupId={options.groupId}
        services={services}
        peers={peers}
        nowSeconds={Math.floor(options.clock() / 1000)}
      />
    );
    return c.html(html`<!doctype html>${page}`);
  });
  return app;
}
