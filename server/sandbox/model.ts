/** The sandbox serves Exact's own endpoints: their definitions live with the rest of what exact-sync knows of Exact. */
export * from '../catalog/endpoints.ts';
