import { newRouter } from '../../app.js';
import { retroRoomsListRoutes } from './list.js';

/** Retro rooms: create, list, join, reorder, rename, delete, members, their retrospects. */
export const retroRoomRoutes = newRouter().route('/', retroRoomsListRoutes);
