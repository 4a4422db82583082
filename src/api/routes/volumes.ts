// Volumes: create, list, show, destroy. A volume belongs to an app; its data outlives every
// release and machine, and only destroying it (or the app) deletes it.
import { Type } from '@sinclair/typebox';
import {
  assertVolumeName,
  DEFAULT_VOLUME_SIZE_BYTES,
  formatSize,
  parseVolumeSize,
} from '../../core/volumes/volume-name.js';
import type { NodePlace, VolumeManager } from '../../daemon/volumes.js';
import type { Volume } from '../../store/volumes.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import type { ApiServices } from '../services.js';
import { queryFlag } from '../query.js';
import { CreateVolumeBody, DestroyedVolumeSchema, VolumeSchema } from '../volume-schemas.js';

async function volumeView(volumes: VolumeManager, v: Volume, nodes: Map<string, NodePlace>) {
  return {
    id: v.id,
    app: v.app,
    name: v.name,
    sizeBytes: v.sizeBytes,
    size: formatSize(v.sizeBytes),
    usedBytes: await volumes.usage(v.id),
    machineId: v.machineId,
    attachedAt: v.attachedAt,
    createdAt: v.createdAt,
    path: volumes.locationOf(v),
    quotaEnforced: false,
    node:
      v.node === null
        ? null
        : (nodes.get(v.node) ?? { id: v.node, name: v.node.slice(0, 12), address: null }),
  };
}

export function volumeRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/volumes',
      summary: "List the app's volumes, oldest first",
      access: 'read',
      tag: 'volumes',
      response: Type.Array(VolumeSchema),
      handler: async ({ params }) => {
        requireApp(s.store, params.app!);
        const list = s.store.volumes.listByApp(params.app!);
        const nodes = await s.volumes.nodesOf(params.app!, list);
        return Promise.all(list.map((v) => volumeView(s.volumes, v, nodes)));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/volumes',
      summary: 'Create a volume; several may share a name (each machine of a group takes one)',
      // A deploy makes the volumes its mounts need, too.
      access: 'deploy',
      tag: 'volumes',
      body: CreateVolumeBody,
      response: VolumeSchema,
      status: 201,
      handler: async ({ params, body }) => {
        requireApp(s.store, params.app!);
        assertVolumeName(body.name);
        const size = body.size === undefined ? DEFAULT_VOLUME_SIZE_BYTES : parseVolumeSize(body.size);
        return volumeView(s.volumes, await s.volumes.create(params.app!, body.name, size), new Map());
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/volumes/{id}',
      summary: 'Show a volume: size, space used, the machine it is attached to',
      access: 'read',
      tag: 'volumes',
      response: VolumeSchema,
      handler: async ({ params }) => {
        requireApp(s.store, params.app!);
        const volume = s.volumes.require(params.app!, params.id!);
        return volumeView(s.volumes, volume, await s.volumes.nodesOf(params.app!, [volume]));
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/apps/{app}/volumes/{id}',
      summary:
        'Destroy a volume and its data; refused while attached unless ?force=1, which drains and stops the machine first',
      // Its data is gone for good: no rollback brings it back.
      access: 'admin',
      tag: 'volumes',
      response: DestroyedVolumeSchema,
      handler: async ({ params, query }) => {
        requireApp(s.store, params.app!);
        const force = queryFlag(query, 'force');
        const { volume, stoppedMachine } = await s.volumes.destroy(params.app!, params.id!, force);
        return {
          destroyed: volume.id,
          stoppedMachine: stoppedMachine
            ? { id: stoppedMachine.id, destination: stoppedMachine.destination ?? null }
            : null,
        };
      },
    }),
  ];
}
