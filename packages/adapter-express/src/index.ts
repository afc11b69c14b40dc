export { createMissionControlHandler } from "./handler.js"
export type { HandlerOptions, MissionControlHandler } from "./handler.js"
export { createMissionControlRouter } from "./router.js"
export type { MissionControlRouter, RouterOptions } from "./router.js"
