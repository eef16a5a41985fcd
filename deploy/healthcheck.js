// The server image's HEALTHCHECK: GET /readyz on the container's own REST port
// (MAI_HEALTH_PORT, default 3000). HTTPS first, unverified: on loopback the
// certificate is the server's own and no secret is sent. Then plain HTTP, for
// `server.tls: false` behind a proxy. Exit 0 when ready.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const port = Number(process.env.MAI_HEALTH_PORT ?? 3000);

function ready(request, extra) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', timeout: 4000, ...extra }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const ok = (await ready(httpsRequest, { rejectUnauthorized: false })) || (await ready(httpRequest, {}));
process.exit(ok ? 0 : 1);
