import { newRouter } from '../../app.js';
import { retroRoomsCreateRoutes } from './create.js';
import { retroRoomsDeleteRoutes } from './delete.js';
import { retroRoomsJoinRoutes } from './join.js';
import { retroRoomsListRoutes } from './list.js';
import { retroRoomsMembersRoutes } from './members.js';
import { retroRoomsRenameRoutes } from './rename.js';
import { retroRoomsReorderRoutes } from './reorder.js';
import { retroRoomsRetrospectsRoutes } from './retrospects.js';

/** Retro rooms: create, list, join, reorder, rename, delete, members, their retrospects. Static paths first. */
export const retroRoomRoutes = newRouter()
  .route('/', retroRoomsListRoutes)
  .route('/', retroRoomsCreateRoutes)
  .route('/', retroRoomsJoinRoutes)
  .route('/', retroRoomsReorderRoutes)
  .route('/', retroRoomsRenameRoutes)
  .route('/', retroRoomsDeleteRoutes)
  .route('/', retroRoomsMembersRoutes)
  .route('/', retroRoomsRetrospectsRoutes);
