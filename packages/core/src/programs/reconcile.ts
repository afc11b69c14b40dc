// The reconciler: a gateway compared with the database (a dry-run plan), the plan applied, and the background part
// that does both for every gateway on a schedule.
export * from "./reconcile/apply.js"
export * from "./reconcile/asAdmin.js"
export * from "./reconcile/plan.js"
export * from "./reconcile/reconciler.js"
