// Express 4, installed under an alias to test the router on both majors; its API is the one Express 5 types describe.
declare module "express4" {
  import express from "express"
  export default express
}
