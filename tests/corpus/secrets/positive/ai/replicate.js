import Replicate from 'replicate';
const replicate = new Replicate({ auth: 'r8_67beb3DwCY1z0ZxgfL414AErEmR3VO6sW3r7R' });
