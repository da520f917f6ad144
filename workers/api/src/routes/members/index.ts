import { newRouter } from '../../app.js';
import { membersMeRoutes } from './me.js';
import { membersWithdrawRoutes } from './withdraw.js';

/** Members: the caller's profile, withdrawal. */
export const memberRoutes = newRouter().route('/', membersMeRoutes).route('/', membersWithdrawRoutes);
