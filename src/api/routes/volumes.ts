// Volumes: create, list, show, destroy. A volume belongs to an app; its data outlives every
// release and machine, and only destroying it (or the app) deletes it.
import { Type } from '@sinclair/typebox';
import {
  assertVolumeName,
  DEFAULT_VOLUME_SIZE_BYTES,
  formatSize,
  parseVolumeSize,
} from '../../core/volumes/volume-name.js';
import type { VolumeManager } from '../../daemon/volumes.js';
import type { Volume } from '../../store/volumes.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import type { ApiServices } from '../services.js';
import { queryFlag } from '../query.js';
import { CreateVolumeBody, DestroyedVolumeSchema, VolumeSchema } from '../volume-schemas.js';

async function volumeView(volumes: VolumeManager, v: Volume) {
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
  };
}

export function volumeRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/volumes',
      summary: "List the app's volumes, oldest first",
      tag: 'volumes',
      response: Type.Array(VolumeSchema),
      handler: async ({ params }) => {
        requireApp(s.store, params.app!);
        const list = s.store.volumes.listByApp(params.app!);
        return Promise.all(list.map((v) => volumeView(s.volumes, v)));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/volumes',
      summary: 'Create a volume; several may share a name (each machine of a group takes one)',
      tag: 'volumes',
      body: CreateVolumeBody,
      response: VolumeSchema,
      status: 201,
      handler: async ({ params, body }) => {
        requireApp(s.store, params.app!);
        assertVolumeName(body.name);
        const size = body.size === undefined ? DEFAULT_VOLUME_SIZE_BYTES : parseVolumeSize(body.size);
        return volumeView(s.volumes, await s.volumes.create(params.app!, body.name, size));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/volumes/{id}',
      summary: 'Show a volume: size, space used, the machine it is attached to',
      tag: 'volumes',
      response: VolumeSchema,
      handler: async ({ params }) => {
        requireApp(s.store, params.app!);
        return volumeView(s.volumes, s.volumes.require(params.app!, params.id!));
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/apps/{app}/volumes/{id}',
      summary:
        'Destroy a volume and its data; refused while attached unless ?force=1, which drains and stops the machine first',
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
