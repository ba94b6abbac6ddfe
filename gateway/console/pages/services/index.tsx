// The services page: this peer's own services (from its store) next to the group's, as the
// directory lists them. A directory that does not answer leaves the group list out, not the page.
import type { GroupService } from '../../../admin/index.ts';
import { definePage } from '../../shell/console-page.ts';
import { errorInfo } from '../../shell/error-info.ts';
import { BASE } from '../../shell/layout.tsx';
import { SERVICES_MESSAGES } from './messages.ts';
import { ServicesPage, type OwnServiceRow } from './view.tsx';

export const servicesPage = definePage({
  id: 'services',
  nav: { path: `${BASE}/services`, label: 'nav.services', order: 10 },
  messages: SERVICES_MESSAGES,
  routes(app, ctx) {
    const { store, admin, logger, peerId } = ctx;

    app.get(`${BASE}/services`, async (c) => {
      const page = ctx.page(c);
      const [own, group] = await Promise.all([
        store.listServices(),
        admin.listGroupServices().catch((err: unknown) => {
          logger.warn({ err: errorInfo(err) }, 'console: the directory listing failed');
          return undefined;
        }),
      ]);
      const rows: OwnServiceRow[] = own.map((s) => {
        const row: OwnServiceRow = { name: s.name, protocol: s.protocol, inwayAddress: s.inwayAddress };
        const listed = group?.find((g: GroupService) => g.peer.id === peerId && g.name === s.name && g.delegator === undefined);
        if (listed !== undefined) row.listed = listed;
        return row;
      });
      return ctx.html(c, <ServicesPage page={page} data={{ own: rows, group, directoryAnswered: group !== undefined }} />);
    });
  },
});
