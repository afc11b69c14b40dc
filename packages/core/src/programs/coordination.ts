// Agents coordinating through Mission Control with their tokens: nudges, SOUL reads and writes, questions to the
// user, and messages to board leads. Every gateway call runs outside any database transaction.
export { gatewayMainOnly } from "./coordination/access.js"
export { askUserViaGatewayMain } from "./coordination/askUser.js"
export { boardWithoutLead, broadcastToLeads, leadWithoutSession, messageBoardLead } from "./coordination/leads.js"
export { nudgeBoardAgent } from "./coordination/nudge.js"
export { readAgentSoul, updateAgentSoul } from "./coordination/soul.js"
