// Hostnames of an app and their certificates: `berth certs add|list|show|remove`. None of it
// makes a release or touches a machine. Private keys go in, never out.
import type { CertificateRecord } from '../../store/certificates.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import type { ApiServices } from '../services.js';
import {
  AddCertificateBody,
  CertificateRemovedResponse,
  CertificateResponse,
  CertificatesResponse,
} from '../net-schemas.js';

export function certificateView(r: CertificateRecord) {
  return {
    hostname: r.hostname,
    app: r.app,
    source: r.source,
    issuer: r.issuer,
    names: r.names,
    notBefore: r.notBefore,
    notAfter: r.notAfter,
    fingerprint: r.fingerprint,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function certificateRoutes(s: ApiServices): Route[] {
  const tls = () => ({ tlsUrl: s.tlsUrl ?? null, caCertPath: s.certificates.ca.certPath });
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/certs',
      summary: "The app's hostnames and their certificates (never the keys)",
      access: 'read',
      tag: 'hostnames',
      response: CertificatesResponse,
      handler: ({ params }) => {
        const app = requireApp(s.store, params.app!).name;
        return { ...tls(), certificates: s.certificates.list(app).map(certificateView) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/certs',
      summary: 'Route a hostname to the app, with a certificate given or issued by the local CA',
      // A hostname is claimed on the shared edge, not within one app.
      access: 'admin',
      tag: 'hostnames',
      body: AddCertificateBody,
      // A certificate chain of up to 256 KB and its key.
      maxBody: 384 * 1024,
      // It may carry a private key: a parse error must not quote it back.
      sensitiveBody: true,
      status: 201,
      response: CertificateResponse,
      handler: async ({ params, body, user }) => {
        const app = requireApp(s.store, params.app!).name;
        const record = await s.certificates.add({
          app,
          hostname: body.hostname,
          ...(body.cert !== undefined && { certPem: body.cert }),
          ...(body.key !== undefined && { keyPem: body.key }),
        });
        s.store.events.append({
          app,
          kind: 'hostname.added',
          message: `${record.hostname} routed to ${app} by ${user} (certificate: ${record.source}, until ${record.notAfter})`,
        });
        return { ...tls(), certificate: certificateView(record) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/certs/{hostname}',
      summary: "One hostname's certificate: issuer, names, validity, source",
      access: 'read',
      tag: 'hostnames',
      response: CertificateResponse,
      handler: ({ params }) => {
        const app = requireApp(s.store, params.app!).name;
        return { ...tls(), certificate: certificateView(s.certificates.get(app, params.hostname!)) };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/apps/{app}/certs/{hostname}',
      summary: 'Stop routing a hostname to the app and delete its certificate and key',
      access: 'admin',
      tag: 'hostnames',
      response: CertificateRemovedResponse,
      handler: ({ params, user }) => {
        const app = requireApp(s.store, params.app!).name;
        const record = s.certificates.remove(app, params.hostname!);
        s.store.events.append({
          app,
          kind: 'hostname.removed',
          message: `${record.hostname} removed from ${app} by ${user}`,
        });
        return { removed: certificateView(record) };
      },
    }),
  ];
}
