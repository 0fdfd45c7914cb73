// The unauthenticated version documents of the compute root (GET /compute/ and GET /compute/v2.1/), as Nova
// publishes them: v2.0 is the frozen legacy API without microversions, v2.1 the current one (its maximum
// microversion is the release's).
import { MAX_VERSION, MIN_VERSION, type ApiVersion } from './microversions.ts';

export function versionList(computeUrl: string, max: ApiVersion = MAX_VERSION): Record<string, unknown> {
  return {
    versions: [
      {
        id: 'v2.0',
        status: 'SUPPORTED',
        version: '',
        min_version: '',
        updated: '2011-01-21T11:33:21Z',
        links: [{ rel: 'self', href: `${computeUrl}/v2/` }],
      },
      {
        id: 'v2.1',
        status: 'CURRENT',
        version: String(max),
        min_version: String(MIN_VERSION),
        updated: '2013-07-23T11:33:21Z',
        links: [{ rel: 'self', href: `${computeUrl}/v2.1/` }],
      },
    ],
  };
}

export function versionDocument(computeUrl: string, id: 'v2.0' | 'v2.1', max: ApiVersion = MAX_VERSION): Record<string, unknown> {
  const current = id === 'v2.1';
  return {
    version: {
      id,
      status: current ? 'CURRENT' : 'SUPPORTED',
      version: current ? String(max) : '',
      min_version: current ? String(MIN_VERSION) : '',
      updated: current ? '2013-07-23T11:33:21Z' : '2011-01-21T11:33:21Z',
      links: [
        { rel: 'self', href: `${computeUrl}/${current ? 'v2.1' : 'v2'}/` },
        { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
      ],
      'media-types': [{ base: 'application/json', type: `application/vnd.openstack.compute+json;version=${current ? '2.1' : '2'}` }],
    },
  };
}
