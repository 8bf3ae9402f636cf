// `express4` is Express 4 installed under another name (`npm:express@^4`), so the
// suites run on both majors. Test code types it with the Express 5 types.
declare module 'express4' {
  import express from 'express';
  export default express;
}
